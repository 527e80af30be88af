/*
 * The ABI_* macros that abi_items.inc is written in. A filler includes the NCCL header it
 * describes, then this file, then abi_items.inc inside a function with `AbiTable* table`,
 * `ncclConfig_t cfg` and `ncclSimInfo_t sim` (both from their initializers) in scope.
 * Before including abi_items.inc it may define ABI_SIGNATURE_AS (see below).
 */
#ifndef HCCL_TESTS_ABI_FILL_H_
#define HCCL_TESTS_ABI_FILL_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "abi_table.h"

#ifdef __cplusplus
#include <typeinfo>
#define ABI_ALIGNOF(T) alignof(T)
#else
#define ABI_ALIGNOF(T) _Alignof(T)
#endif

static void abiAdd(AbiTable* table, const char* name, long long value, const char* text) {
  if (table->count >= ABI_TABLE_CAPACITY) {
    table->overflow = 1;
    return;
  }
  AbiEntry* e = &table->entries[table->count++];
  e->name = name;
  e->value = value;
  e->text = text;
}

static void abiAddFloat(AbiTable* table, const char* name, float value) {
  uint32_t bits;
  memcpy(&bits, &value, sizeof bits);
  abiAdd(table, name, (long long)bits, NULL);
}

#define ABI_CONST(e) abiAdd(table, #e, (long long)(e), NULL);
#define ABI_PTR(e) abiAdd(table, #e, (long long)(intptr_t)(e), NULL);
#define ABI_FLOAT(e) abiAddFloat(table, #e, (e));
#define ABI_STRING(e) abiAdd(table, #e, (long long)sizeof(e), (e));
/* size and alignment of a type */
#define ABI_TYPE(T)                                              \
  abiAdd(table, "sizeof(" #T ")", (long long)sizeof(T), NULL);   \
  abiAdd(table, "alignof(" #T ")", (long long)ABI_ALIGNOF(T), NULL);
/* offset and size of a member (m may name a nested member: a.b) */
#define ABI_FIELD(T, m)                                                       \
  abiAdd(table, "offsetof(" #T ", " #m ")", (long long)offsetof(T, m), NULL); \
  abiAdd(table, "sizeof(" #T "::" #m ")", (long long)sizeof(((T*)0)->m), NULL);

#ifdef __cplusplus
/* The function's type, as the mangled name of a pointer to it. */
#define ABI_SIGNATURE(f) abiAdd(table, "type of " #f, 0, typeid(decltype(&f)).name());
/* For functions that NVIDIA's device headers overload in C++ (a host ncclComm_t version and
 * an inline ncclDevComm version): the reference filler picks the overload of the given type,
 * which fails to compile if it does not exist; hccl's filler ignores the type and records the
 * real one. */
#ifndef ABI_SIGNATURE_AS
#define ABI_SIGNATURE_AS(f, ...) ABI_SIGNATURE(f)
#endif
#endif

#endif /* HCCL_TESTS_ABI_FILL_H_ */
