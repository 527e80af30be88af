// A Link over a connected TCP socket.
#pragma once

#include <vector>

#include "transport/socket.h"
#include "transport/transport.h"

namespace hccl {

class TcpLink final : public Link {
 public:
  // `stagingBytes`: the receive buffer peek() fills; reads larger than what is staged go
  // straight from the socket into the destination.
  TcpLink(Socket socket, size_t stagingBytes);

  const char* name() const override { return "tcp"; }
  Status write(const void* data, size_t bytes, size_t* done) override;
  Status read(void* dst, size_t bytes, size_t* done) override;
  Status peek(size_t minBytes, size_t maxBytes, const void** data, size_t* avail) override;
  void consume(size_t bytes) override;
  Status checkAlive() override;
  void shutdown() override { socket_.shutdown(); }
  int waitFd() const override { return socket_.fd(); }

 private:
  Status fill();  // one recv() into the staging buffer's free tail

  Socket socket_;
  std::vector<char> staging_;
  size_t begin_ = 0;  // staged bytes are staging_[begin_, end_)
  size_t end_ = 0;
};

}  // namespace hccl
