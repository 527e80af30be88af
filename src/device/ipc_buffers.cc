#include "device/ipc_buffers.h"

#include <cstring>

#include "backends/device_backend.h"
#include "base/log.h"

namespace hccl {

void IpcBuffers::closeAll() {
  for (auto& [key, entry] : imports_) retired_.push_back(entry.mapped);
  imports_.clear();
  for (char* mapped : retired_) device_.closeIpcHandle(mapped);
  retired_.clear();
}

BufferRecord IpcBuffers::describe(const void* ptr, size_t bytes) {
  BufferRecord r{};
  r.bytes = bytes;
  if (bytes == 0) {
    r.usable = 1;
    return r;
  }
  DeviceBackend::Allocation allocation{};
  if (!device_.allocationOf(ptr, &allocation)) return r;  // host memory
  const uint64_t start = reinterpret_cast<uintptr_t>(allocation.base);
  const size_t rangeBytes = allocation.bytes;
  const uint64_t id = allocation.bufferId;
  const uint64_t offset = reinterpret_cast<uintptr_t>(ptr) - start;
  if (offset > rangeBytes || bytes > rangeBytes - offset) return r;
  auto it = exports_.find(start);
  if (it == exports_.end() || it->second.bufferId != id) {
    if (unexportable_.count({start, id}) > 0) return r;
    Export e{id, {}};
    if (failed(device_.exportIpcHandle(e.handle, allocation.base, nullptr))) {
      unexportable_.insert({start, id});  // pool or VMM memory: not worth asking on every call
      return r;
    }
    it = exports_.insert_or_assign(start, e).first;
  }
  memcpy(r.handle, it->second.handle, sizeof(r.handle));
  r.base = start;
  r.bufferId = id;
  r.rangeBytes = rangeBytes;
  r.offset = offset;
  r.usable = 1;
  return r;
}

char* IpcBuffers::map(int peer, const BufferRecord& record) {
  // The record came over the network: it must describe a buffer inside its allocation.
  if (!record.usable || !record.insideRange()) return nullptr;
  const auto key = std::make_pair(peer, record.base);
  auto it = imports_.find(key);
  if (it != imports_.end() && (it->second.bufferId != record.bufferId ||
                               it->second.rangeBytes != record.rangeBytes)) {
    retired_.push_back(it->second.mapped);  // the peer freed that allocation and reused its address
    imports_.erase(it);
    it = imports_.end();
  }
  if (it == imports_.end()) {
    void* mapped = nullptr;
    std::string why;
    if (failed(device_.openIpcHandle(&mapped, record.handle, &why))) {
      HCCL_INFO(Init, "cannot open rank %d's buffer handle: %s", peer, why.c_str());
      return nullptr;
    }
    it = imports_.emplace(key, Import{record.bufferId, record.rangeBytes, static_cast<char*>(mapped)}).first;
  }
  return it->second.mapped + record.offset;
}

}  // namespace hccl
