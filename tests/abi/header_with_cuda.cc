// The C++ compilation of header_with_cuda.c.
#include "header_with_cuda.c"
