#include "transport/transport.h"

#include "base/error.h"

namespace hccl {

// Only links that list window regions are ever asked for windows.
Status Link::reserve(size_t, void**, size_t* avail) {
  *avail = 0;
  return fail(Status::InternalError, "the %s link has no windows to reserve", name());
}

void Link::filled(size_t) {}

Status Link::take(size_t, const void**, size_t* avail) {
  *avail = 0;
  return fail(Status::InternalError, "the %s link has no windows to take", name());
}

void Link::release(size_t) {}

}  // namespace hccl
