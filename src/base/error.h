// Recording an error where it is first detected: log it once (WARN) and keep its text as this
// thread's last error, which the API layer also stores on the communicator.
#pragma once

#include <string>

#include "base/status.h"

namespace hccl {

// Logs, records the text as this thread's last error, and returns `status`.
Status fail(Status status, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// Like fail() for errors the user caused: recorded, logged at INFO only (the caller sees the code).
Status reject(Status status, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

const std::string& threadLastError();
void clearThreadLastError();

}  // namespace hccl
