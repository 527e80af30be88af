// hccl's own names for NCCL's element types and reduction operators. Values equal
// ncclDataType_t / ncclRedOp_t so the API layer converts with a range check only.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hccl {

enum class DataType : int {
  Int8 = 0,
  Uint8 = 1,
  Int32 = 2,
  Uint32 = 3,
  Int64 = 4,
  Uint64 = 5,
  Float16 = 6,
  Float32 = 7,
  Float64 = 8,
  Bfloat16 = 9,
  Float8e4m3 = 10,
  Float8e5m2 = 11,
};
constexpr int kNumDataTypes = 12;

// The element-wise operators a backend implements. Avg and PreMulSum are built on Sum by the
// executor (scale the input, or divide the result), so every rank computes bitwise the same bytes.
enum class ReduceOp : int { Sum = 0, Prod = 1, Max = 2, Min = 3 };
constexpr int kNumReduceOps = 4;

constexpr size_t dataTypeSize(DataType type) {
  switch (type) {
    case DataType::Int8: case DataType::Uint8:
    case DataType::Float8e4m3: case DataType::Float8e5m2: return 1;
    case DataType::Float16: case DataType::Bfloat16: return 2;
    case DataType::Int32: case DataType::Uint32: case DataType::Float32: return 4;
    case DataType::Int64: case DataType::Uint64: case DataType::Float64: return 8;
  }
  return 0;
}

constexpr bool isFp8Type(DataType type) { return type == DataType::Float8e4m3 || type == DataType::Float8e5m2; }

constexpr bool isFloatType(DataType type) {
  return type == DataType::Float16 || type == DataType::Float32 || type == DataType::Float64 ||
         type == DataType::Bfloat16 || type == DataType::Float8e4m3 || type == DataType::Float8e5m2;
}

const char* dataTypeName(DataType type);
const char* reduceOpName(ReduceOp op);

}  // namespace hccl
