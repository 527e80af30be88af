// A small, strict JSON value, parser and writer for topology files and the topology exchange.
// Strict means RFC 8259 and nothing more: no comments, no trailing commas, no NaN, UTF-8 only,
// duplicate object keys refused. The input may come from the network, so nesting depth is bounded
// and every error names the line and column where the text went wrong.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hccl::json {

enum class Type : uint8_t { Null, Bool, Number, String, Array, Object };
const char* typeName(Type type);

struct Member;

class Value {
 public:
  Value() = default;  // null
  static Value boolean(bool value);
  static Value number(double value);
  static Value string(std::string value);
  static Value array();
  static Value object();

  Type type() const { return type_; }
  bool is(Type type) const { return type_ == type; }
  // Accessors for the matching type; the caller checks type() first.
  bool asBool() const { return bool_; }
  double asNumber() const { return number_; }
  const std::string& asString() const { return string_; }
  const std::vector<Value>& items() const { return items_; }
  const std::vector<Member>& members() const { return members_; }

  // Object lookup: nullptr when absent (or when this is not an object).
  const Value* find(std::string_view key) const;
  // Building: add() appends to an array; set() adds a member to an object, in order.
  Value& add(Value value);
  Value& set(std::string key, Value value, int line = 0, int column = 0);

  // Where the parser found this value (1-based), 0 for values built in code.
  int line() const { return line_; }
  int column() const { return column_; }
  void setPosition(int line, int column) { line_ = line, column_ = column; }

 private:
  Type type_ = Type::Null;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<Value> items_;
  std::vector<Member> members_;  // in document order
  int line_ = 0, column_ = 0;
};

struct Member {
  std::string key;
  Value value;
  int line = 0, column = 0;  // of the key, as for Value
};

inline constexpr int kDefaultMaxDepth = 64;

// Parses one JSON document (surrounding white space allowed). On failure returns false and sets
// *error to "LINE:COLUMN: what is wrong"; *out is then unspecified.
bool parse(std::string_view text, Value* out, std::string* error, int maxDepth = kDefaultMaxDepth);

// Writes `value` as JSON. Pretty: two-space indentation, with arrays and objects that fit on one
// line kept on one line. Compact: no white space at all. Numbers that are integers print as such;
// other numbers use the shortest text that reads back to the same double. NaN and infinities,
// which JSON cannot hold, print as null.
std::string write(const Value& value, bool pretty = true);

}  // namespace hccl::json
