// Topology files (JSON, described in docs/topology.md). Parsing checks every value and names the
// line and column of the first bad one in the thread's last error; a parsed topology has passed
// Topology::validate(). The writer is topology_writer.h, the pictures topology_render.h.
#pragma once

#include <string>

#include "base/status.h"
#include "topology/topology.h"

namespace hccl::topo {

// Reads and parses a topology file. Errors read "PATH:LINE:COLUMN: nodes[2].nics[0].gbps: ...".
Status loadTopologyFile(const std::string& path, Topology* out);
// Parses topology JSON text (errors read "topology:LINE:COLUMN: ...").
Status parseTopology(const std::string& jsonText, Topology* out);

}  // namespace hccl::topo
