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
  const hcclDeviceRuntime_v2& rt = device_.runtime();
  for (Lane& l : lanes_) {
    if (l.stream != nullptr) rt.streamSynchronize(l.stream);
    for (void* e : l.events)
      if (e != nullptr) rt.eventDestroy(e);
  }
  for (void* base : registered_) rt.hostUnregister(base);
}

Status DmaCopier::init() {
  for (Lane& l : lanes_) {
    l.events.assign(kEvents, nullptr);
    for (void*& e : l.events) HCCL_TRY(device_.check(device_.runtime().eventCreate(&e), "event creation"));
  }
  return Status::Success;
}

bool DmaCopier::attach(const Link& link) {
  const std::vector<Link::Region> regions = link.windowRegions();
  if (regions.empty()) return false;
  const hcclDeviceRuntime_v2& rt = device_.runtime();
  size_t n = 0;
  int code = 0;
  for (; n < regions.size(); ++n)
    if ((code = rt.hostRegister(regions[n].base, regions[n].bytes)) != 0) break;
  if (n == regions.size()) {
    for (const Link::Region& r : regions) registered_.push_back(r.base);
    return true;
  }
  HCCL_INFO(Init, "%s device %d cannot register a %s link's memory (%s): its sends and receives stay staged",
            device_.name(), device_.deviceIndex(), link.name(), rt.errorText(code));
  while (n-- > 0) rt.hostUnregister(regions[n].base);
  return false;
}

Status DmaCopier::start(void* dst, const void* src, size_t bytes, Direction direction, uint64_t* ticket) {
  Lane& l = lane(direction);
  // An event is reused only once the copy it marked has completed.
  if (l.started - l.completed == kEvents) HCCL_TRY(wait(l.completed + 1, direction));
  const hcclDeviceRuntime_v2& rt = device_.runtime();
  HCCL_TRY(device_.check(rt.copyAsync(dst, src, bytes, l.stream), "DMA copy"));
  const uint64_t t = l.started + 1;
  const Status recorded = device_.check(rt.eventRecord(l.events[t % kEvents], l.stream), "event record");
  if (failed(recorded)) {
    rt.streamSynchronize(l.stream);  // nobody could wait for the copy later: it is done before we fail
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
  const int q = device_.runtime().eventQuery(l.events[ticket % kEvents]);
  if (q == 1) return Status::Success;
  HCCL_TRY(device_.check(q == 0 ? 0 : -q, "DMA copy"));
  l.completed = ticket;  // one stream: every earlier copy has completed too
  *complete = true;
  return Status::Success;
}

Status DmaCopier::wait(uint64_t ticket, Direction direction) {
  Lane& l = lane(direction);
  if (ticket <= l.completed) return Status::Success;
  HCCL_TRY(device_.check(device_.runtime().eventSynchronize(l.events[ticket % kEvents]), "DMA copy"));
  l.completed = ticket;
  return Status::Success;
}

Status DmaCopier::copyNow(void* dst, const void* src, size_t bytes) {
  const hcclDeviceRuntime_v2& rt = device_.runtime();
  void* stream = lane(Direction::ToDevice).stream;
  HCCL_TRY(device_.check(rt.copyAsync(dst, src, bytes, stream), "copy"));
  return device_.check(rt.streamSynchronize(stream), "copy");
}

}  // namespace hccl
