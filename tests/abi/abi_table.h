/*
 * A plain table of ABI facts (enum values, macro values, sizes, offsets, initializer
 * contents, function types), filled once against NVIDIA's nccl.h and once against hccl's,
 * so that a test can compare them entry by entry. C and C++.
 */
#ifndef HCCL_TESTS_ABI_TABLE_H_
#define HCCL_TESTS_ABI_TABLE_H_

#ifdef __cplusplus
extern "C" {
#endif

typedef struct AbiEntry {
  const char* name;  /* the expression, as written in abi_items.inc */
  long long value;   /* its value; floats as their bit pattern; pointers as integers */
  const char* text;  /* strings and C++ type names; NULL otherwise */
} AbiEntry;

#define ABI_TABLE_CAPACITY 1024

typedef struct AbiTable {
  AbiEntry entries[ABI_TABLE_CAPACITY];
  int count;
  int overflow; /* set when more than ABI_TABLE_CAPACITY entries were added */
} AbiTable;

/* table_real.cc: NVIDIA's nccl.h and nccl_device.h (only built where they exist). */
void abiFillReference(AbiTable* table);
/* table_ours.cc: hccl's nccl.h, compiled as C++ (adds function types). */
void abiFillOursCxx(AbiTable* table);
/* table_ours_c.c: hccl's nccl.h, compiled as C11. */
void abiFillOursC(AbiTable* table);

#ifdef __cplusplus
}
#endif

#endif /* HCCL_TESTS_ABI_TABLE_H_ */
