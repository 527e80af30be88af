// A hint to the core that this thread is spinning on memory another thread will write: it eases
// the pipeline and lets a sibling hyperthread run. Portable: x86 pause, Arm yield, else nothing.
#pragma once

namespace hccl {

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  asm volatile("yield" ::: "memory");
#elif defined(__powerpc64__)
  asm volatile("or 27,27,27" ::: "memory");
#endif
}

}  // namespace hccl
