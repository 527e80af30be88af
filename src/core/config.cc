#include "core/config.h"

#include <unistd.h>

#include <algorithm>

#include "base/log.h"
#include "base/params.h"

namespace hccl {
namespace {

IntParam buffsizeParam("BUFFSIZE", int64_t{4} << 20, "bytes of staging per peer and direction (shm ring)");
IntParam timeoutParam("TIMEOUT", 600, "seconds any wait may last before the peer is declared lost", false);
IntParam shmDisableParam("SHM_DISABLE", 0, "1: never use shared memory between ranks on one host");
IntParam sliceBytesParam("SLICE_BYTES", int64_t{512} << 10,
                    "pipelining slice of chained schedules (broadcast, reduce)", false);
IntParam eagerParam("EAGER_BYTES", int64_t{64} << 10, "largest message sent without waiting for a grant", false);
IntParam rdMaxParam("RD_MAX_BYTES", int64_t{64} << 10,
                    "AllReduce up to this size uses recursive doubling, above it the ring", false);
StringParam algoParam("ALGO", "",
                      "force an AllReduce schedule: ring, tree, rd (recursive doubling), rhd (halving-doubling), "
                      "hierarchical or weighted");
IntParam blockingParam("COMM_BLOCKING", -1, "0/1 overrides ncclConfig_t.blocking");
StringParam socketIfnameParam("SOCKET_IFNAME", "", "network interfaces for sockets (prefix; ^ excludes; = exact)");
StringParam socketFamilyParam("SOCKET_FAMILY", "", "AF_INET or AF_INET6 to restrict socket addresses");
// NCCL_TOPO_FILE and NCCL_TOPO_DUMP_FILE name NCCL's XML files, which hccl does not read: no alias.
StringParam topoFileParam("TOPO_FILE", "", "topology file (JSON, docs/topology.md) used instead of discovery", false);
StringParam topoDumpParam("TOPO_DUMP_FILE", "", "file to write the communicator's topology to (JSON)", false);
StringParam backendParam("BACKEND", "auto",
                         "auto (a GPU when the process uses CUDA or HIP), cuda, hip or host", false);
StringParam pluginParam("BACKEND_PLUGIN", "",
                        "path of the device plugin to load (default: libhccl-<vendor>.so beside libnccl.so.2)", false);
IntParam pieceBytesParam("DEVICE_PIECE_BYTES", int64_t{4} << 20,
                         "bytes per block of one piece of a call on a communicator with GPU ranks "
                         "(must be equal on every rank)",
                         false);
IntParam directParam("DEVICE_DIRECT", 1,
                     "1: collectives of communicators whose ranks are all GPUs of one vendor on one node run "
                     "device to device through IPC (the call's buffers, else device scratch); 0: staged through "
                     "host memory (any rank's 0 turns it off for all)",
                     false);
IntParam singleCopyParam("SINGLE_COPY_BYTES", -1,
                         "messages of at least this many bytes to a peer on this host are read by the peer "
                         "straight from this rank's buffer (process_vm_readv), one copy instead of two through "
                         "shared memory; 0 turns that off, -1 picks an eighth of the last-level cache",
                         false);
IntParam netDirectParam("NET_DIRECT_BYTES", int64_t{256} << 10,
                        "messages of at least this many bytes to a peer over a network transport move straight "
                        "between the two ranks' buffers, as the transport's own messages (0: always through "
                        "hccl's staging)",
                        false);
StringParam netParam("NET", "",
                      "the network to peers shared memory does not reach: Socket (hccl's TCP) or an NCCL net "
                      "plugin's name; unset, the plugin when one loads, else Socket");
StringParam netPluginParam("NET_PLUGIN", "",
                           "the NCCL net plugin library: a name X loads libnccl-net-X.so (else X itself, a path "
                           "too); unset, libnccl-net.so; none, no plugin");
StringParam fp8FormatParam("FP8_FORMAT", "ocp",
                           "encoding of this rank's fp8 buffers: ocp (NVIDIA, gfx950) or fnuz (MI300)", false);

// Reading a peer's memory costs the kernel a page pin per 4 KiB, so it copies slower than memcpy
// (8 against 12 GB/s on the 2-core host of bench/RESULTS.md). It wins only where both copies
// through the ring would miss the cache anyway: messages that are a fair part of the last-level
// cache (the crossover measured there: 32 MiB messages, a 260 MiB L3).
size_t defaultSingleCopyBytes() {
  const long llc = std::max({sysconf(_SC_LEVEL3_CACHE_SIZE), sysconf(_SC_LEVEL2_CACHE_SIZE), 0L});
  if (llc <= 0) return size_t{32} << 20;
  return std::max<size_t>(static_cast<size_t>(llc) / 8, size_t{4} << 20);
}

}  // namespace

Config configFromEnvironment() {
  warnUnknownParams();
  Config c;
  int64_t buf = buffsizeParam.get();
  if (buf >= 65536) c.bufferBytes = static_cast<size_t>(buf);
  int64_t t = timeoutParam.get();
  if (t > 0) c.timeoutSeconds = static_cast<double>(t);
  c.shmDisable = shmDisableParam.get() != 0;
  int64_t slice = sliceBytesParam.get();
  if (slice >= 4096) c.sliceBytes = static_cast<size_t>(slice);
  int64_t eager = eagerParam.get();
  // An eager message travels as one frame, so it can be no larger than a frame (1 MiB).
  if (eager >= 0 && eager <= (int64_t{1} << 20)) c.eagerBytes = static_cast<size_t>(eager);
  const int64_t singleCopy = singleCopyParam.get();
  c.singleCopyBytes = singleCopy < 0 ? defaultSingleCopyBytes() : static_cast<size_t>(singleCopy);
  int64_t rdMax = rdMaxParam.get();
  if (rdMax >= 0) c.recursiveDoublingMaxBytes = static_cast<size_t>(rdMax);
  std::string algo = algoParam.get();
  if (!algo.empty() && !parseAlgorithm(algo, &c.allReduceAlgorithm))
    HCCL_WARN("NCCL_ALGO=%s is not an hccl schedule (ring, tree, rd, rhd, hierarchical, weighted); choosing by size",
              algo.c_str());
  const std::string fp8 = fp8FormatParam.get();
  if (!parseFp8Encoding(fp8, &c.fp8Encoding))
    HCCL_WARN("HCCL_FP8_FORMAT=%s is neither ocp nor fnuz; using ocp", fp8.c_str());
  c.sockets = {socketIfnameParam.get(), socketFamilyParam.get()};
  c.netDirectBytes = static_cast<size_t>(std::max<int64_t>(netDirectParam.get(), 0));
  c.netName = netParam.get();
  c.netPlugin = netPluginParam.get();
  c.topologyFile = topoFileParam.get();
  c.topologyDumpFile = topoDumpParam.get();
  c.backend = backendChoiceFromEnvironment();
  c.devicePieceBytes = static_cast<size_t>(std::max<int64_t>(pieceBytesParam.get(), 4096));
  c.deviceDirect = directParam.get() != 0;
  int64_t b = blockingParam.get();
  if (b == 0 || b == 1) c.blocking = b == 1;
  return c;
}

BackendChoice backendChoiceFromEnvironment() { return {backendParam.get(), pluginParam.get()}; }

}  // namespace hccl
