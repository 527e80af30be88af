#include "device/dma_copier.h"

#include "backends/device_backend.h"
#include "base/log.h"

namespace hccl {

DmaCopier::DmaCopier(DeviceBackend& device, void* toHostStream, void* toDeviceStream)
    : device_(device) {
  lanes_[0].stream = toHostStream;
  lanes_[1].stream = toDeviceStream;
}

DmaCopier::~DmaCopier() {
  for (Lane& l : lanes_) {
    device_.finishStream(l.stream);
    for (void* e : l.events) device_.destroyEvent(e);
  }
  for (void* base : registered_) device_.unregisterHost(base);
}

Status DmaCopier::init() {
  for (Lane& l : lanes_) {
    l.events.assign(kEvents, nullptr);
    for (void*& e : l.events) HCCL_TRY(device_.createEvent(&e));
  }
  return Status::Success;
}

bool DmaCopier::attach(const Link& link) {
  const std::vector<Link::Region> regions = link.windowRegions();
  if (regions.empty()) return false;
  size_t n = 0;
  std::string why;
  for (; n < regions.size(); ++n)
    if (failed(device_.registerHost(regions[n].base, regions[n].bytes, &why))) break;
  if (n == regions.size()) {
    for (const Link::Region& r : regions) registered_.push_back(r.base);
    return true;
  }
  HCCL_INFO(Init, "%s device %d cannot register a %s link's memory (%s): its sends and receives stay staged",
            device_.name(), device_.deviceIndex(), link.name(), why.c_str());
  while (n-- > 0) device_.unregisterHost(regions[n].base);
  return false;
}

Status DmaCopier::start(void* dst, const void* src, size_t bytes, Direction direction, uint64_t* ticket) {
  Lane& l = lane(direction);
  // An event is reused only once the copy it marked has completed.
  if (l.started - l.completed == kEvents) HCCL_TRY(wait(l.completed + 1, direction));
  HCCL_TRY(device_.copyAsync(dst, src, bytes, l.stream, "DMA copy"));
  const uint64_t t = l.started + 1;
  const Status recorded = device_.recordEvent(l.events[t % kEvents], l.stream);
  if (failed(recorded)) {
    device_.syncStream(l.stream, "DMA copy");  // nobody could wait for the copy later: it is done before we fail
    return recorded;
  }
  l.started = t;
  *ticket = t;
  return Status::Success;
}

Status DmaCopier::done(uint64_t ticket, Direction direction, bool* complete) {
  Lane& l = lane(direction);
  *complete = ticket <= l.completed;
  if (*complete) return Status::Success;
  HCCL_TRY(device_.eventDone(l.events[ticket % kEvents], complete, "DMA copy"));
  if (*complete) l.completed = ticket;  // one stream: every earlier copy has completed too
  return Status::Success;
}

Status DmaCopier::wait(uint64_t ticket, Direction direction) {
  Lane& l = lane(direction);
  if (ticket <= l.completed) return Status::Success;
  HCCL_TRY(device_.waitEvent(l.events[ticket % kEvents], "DMA copy"));
  l.completed = ticket;
  return Status::Success;
}

Status DmaCopier::copyNow(void* dst, const void* src, size_t bytes) {
  void* stream = lane(Direction::ToDevice).stream;
  HCCL_TRY(device_.copyAsync(dst, src, bytes, stream, "copy"));
  return device_.syncStream(stream, "copy");
}

}  // namespace hccl
