#include "topology/json.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <utility>

namespace hccl::json {

const char* typeName(Type type) {
  switch (type) {
    case Type::Null: return "null";
    case Type::Bool: return "a boolean";
    case Type::Number: return "a number";
    case Type::String: return "a string";
    case Type::Array: return "an array";
    case Type::Object: return "an object";
  }
  return "?";
}

Value Value::boolean(bool value) {
  Value v;
  v.type_ = Type::Bool;
  v.bool_ = value;
  return v;
}

Value Value::number(double value) {
  Value v;
  v.type_ = Type::Number;
  v.number_ = value;
  return v;
}

Value Value::string(std::string value) {
  Value v;
  v.type_ = Type::String;
  v.string_ = std::move(value);
  return v;
}

Value Value::array() {
  Value v;
  v.type_ = Type::Array;
  return v;
}

Value Value::object() {
  Value v;
  v.type_ = Type::Object;
  return v;
}

const Value* Value::find(std::string_view key) const {
  for (const Member& m : members_)
    if (m.key == key) return &m.value;
  return nullptr;
}

Value& Value::add(Value value) {
  items_.push_back(std::move(value));
  return items_.back();
}

Value& Value::set(std::string key, Value value, int line, int column) {
  members_.push_back(Member{std::move(key), std::move(value), line, column});
  return members_.back().value;
}

namespace {

class Parser {
 public:
  Parser(std::string_view text, int maxDepth) : text_(text), maxDepth_(maxDepth) {}

  bool document(Value* out, std::string* error) {
    skipSpace();
    bool ok = value(out, 0);
    if (ok) {
      skipSpace();
      if (pos_ < text_.size()) ok = fail("unexpected text after the document");
    }
    if (!ok) *error = error_;
    return ok;
  }

 private:
  bool fail(const char* what) { return failAt(pos_, what); }

  bool failAt(size_t at, const std::string& what) {
    int line = 1, column = 1;
    for (size_t i = 0; i < at && i < text_.size(); ++i) {
      if (text_[i] == '\n') ++line, column = 1;
      else ++column;
    }
    error_ = std::to_string(line) + ":" + std::to_string(column) + ": " + what;
    return false;
  }

  // Values are met in document order, so one forward scan finds every value's line and column.
  std::pair<int, int> positionOf(size_t at) {
    while (lineScan_ < at) {
      if (text_[lineScan_] == '\n') ++line_, lineStart_ = lineScan_ + 1;
      ++lineScan_;
    }
    return {line_, static_cast<int>(at - lineStart_) + 1};
  }

  bool atEnd() const { return pos_ >= text_.size(); }
  char peek() const { return atEnd() ? '\0' : text_[pos_]; }

  void skipSpace() {
    while (!atEnd() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++pos_;
  }

  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return fail("invalid literal");
    pos_ += word.size();
    return true;
  }

  bool value(Value* out, int depth) {
    auto [line, column] = positionOf(pos_);
    bool ok = true;
    switch (peek()) {
      case '{': ok = object(out, depth + 1); break;
      case '[': ok = array(out, depth + 1); break;
      case '"': {
        std::string s;
        ok = string(&s);
        *out = Value::string(std::move(s));
        break;
      }
      case 't': ok = literal("true"), *out = Value::boolean(true); break;
      case 'f': ok = literal("false"), *out = Value::boolean(false); break;
      case 'n': ok = literal("null"), *out = Value(); break;
      case '\0':
        if (atEnd()) return fail("unexpected end of text, expected a value");
        return fail("expected a value");
      default:
        if (peek() == '-' || (peek() >= '0' && peek() <= '9')) ok = number(out);
        else return fail("expected a value");
    }
    if (ok) out->setPosition(line, column);
    return ok;
  }

  bool object(Value* out, int depth) {
    if (depth > maxDepth_) return fail("nesting deeper than the limit");
    *out = Value::object();
    ++pos_;  // '{'
    skipSpace();
    if (peek() == '}') return ++pos_, true;
    for (;;) {
      skipSpace();
      if (peek() != '"') return fail("expected a member name in double quotes");
      size_t keyStart = pos_;
      auto [keyLine, keyColumn] = positionOf(pos_);
      std::string key;
      if (!string(&key)) return false;
      if (out->find(key) != nullptr) return failAt(keyStart, "duplicate member \"" + key + "\"");
      skipSpace();
      if (peek() != ':') return fail("expected ':' after the member name");
      ++pos_;
      skipSpace();
      Value member;
      if (!value(&member, depth)) return false;
      out->set(std::move(key), std::move(member), keyLine, keyColumn);
      skipSpace();
      if (peek() == ',') { ++pos_; continue; }
      if (peek() == '}') return ++pos_, true;
      return fail("expected ',' or '}' in the object");
    }
  }

  bool array(Value* out, int depth) {
    if (depth > maxDepth_) return fail("nesting deeper than the limit");
    *out = Value::array();
    ++pos_;  // '['
    skipSpace();
    if (peek() == ']') return ++pos_, true;
    for (;;) {
      skipSpace();
      Value item;
      if (!value(&item, depth)) return false;
      out->add(std::move(item));
      skipSpace();
      if (peek() == ',') { ++pos_; continue; }
      if (peek() == ']') return ++pos_, true;
      return fail("expected ',' or ']' in the array");
    }
  }

  bool digits() {
    if (!(peek() >= '0' && peek() <= '9')) return fail("expected a digit");
    while (peek() >= '0' && peek() <= '9') ++pos_;
    return true;
  }

  bool number(Value* out) {
    // The grammar is checked here because from_chars accepts more than JSON does ("1.", "01").
    size_t start = pos_;
    if (peek() == '-') ++pos_;
    if (peek() == '0') {
      ++pos_;
      if (peek() >= '0' && peek() <= '9') return fail("leading zeros are not allowed");
    } else if (!digits()) {
      return false;
    }
    if (peek() == '.') {
      ++pos_;
      if (!digits()) return false;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!digits()) return false;
    }
    // RFC 8259 lets a parser bound the range; beyond a double's (1e400, 1e-400) is refused.
    double value = 0;
    auto [end, ec] = std::from_chars(text_.data() + start, text_.data() + pos_, value);
    if (ec != std::errc() || end != text_.data() + pos_) return failAt(start, "number out of range");
    *out = Value::number(value);
    return true;
  }

  bool hex4(uint32_t* out) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i, ++pos_) {
      char c = peek();
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) return fail("expected four hex digits after \\u");
      v = v * 16 + static_cast<uint32_t>(d);
    }
    *out = v;
    return true;
  }

  static void appendUtf8(uint32_t cp, std::string* s) {
    if (cp < 0x80) {
      s->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      s->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      s->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      s->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  bool escape(std::string* s) {
    ++pos_;  // '\\'
    char c = peek();
    ++pos_;
    switch (c) {
      case '"': s->push_back('"'); return true;
      case '\\': s->push_back('\\'); return true;
      case '/': s->push_back('/'); return true;
      case 'b': s->push_back('\b'); return true;
      case 'f': s->push_back('\f'); return true;
      case 'n': s->push_back('\n'); return true;
      case 'r': s->push_back('\r'); return true;
      case 't': s->push_back('\t'); return true;
      case 'u': break;
      default: pos_ -= 2; return fail("invalid escape");
    }
    size_t start = pos_ - 2;
    uint32_t cp = 0;
    if (!hex4(&cp)) return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return failAt(start, "lone low surrogate in \\u escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      uint32_t low = 0;
      if (text_.substr(pos_, 2) != "\\u") return failAt(start, "high surrogate without its low half");
      pos_ += 2;
      if (!hex4(&low)) return false;
      if (low < 0xDC00 || low > 0xDFFF) return failAt(start, "high surrogate without its low half");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    appendUtf8(cp, s);
    return true;
  }

  // Length of the valid UTF-8 sequence at pos_, or 0 (overlong forms and surrogates are invalid).
  size_t utf8Length() const {
    auto byte = [&](size_t i) { return pos_ + i < text_.size() ? static_cast<uint8_t>(text_[pos_ + i]) : 0; };
    auto cont = [&](size_t i) { return (byte(i) & 0xC0) == 0x80; };
    uint8_t b0 = byte(0);
    if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
    if (b0 >= 0xE0 && b0 <= 0xEF) {
      if (!cont(1) || !cont(2)) return 0;
      if (b0 == 0xE0 && byte(1) < 0xA0) return 0;  // overlong
      if (b0 == 0xED && byte(1) >= 0xA0) return 0;  // surrogate
      return 3;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
      if (!cont(1) || !cont(2) || !cont(3)) return 0;
      if (b0 == 0xF0 && byte(1) < 0x90) return 0;  // overlong
      if (b0 == 0xF4 && byte(1) >= 0x90) return 0;  // above U+10FFFF
      return 4;
    }
    return 0;
  }

  bool string(std::string* out) {
    ++pos_;  // '"'
    for (;;) {
      if (atEnd()) return fail("unterminated string");
      uint8_t c = static_cast<uint8_t>(peek());
      if (c == '"') return ++pos_, true;
      if (c == '\\') {
        if (!escape(out)) return false;
      } else if (c < 0x20) {
        return fail("control character in string (escape it)");
      } else if (c < 0x80) {
        out->push_back(static_cast<char>(c));
        ++pos_;
      } else {
        size_t n = utf8Length();
        if (n == 0) return fail("invalid UTF-8 in string");
        out->append(text_.substr(pos_, n));
        pos_ += n;
      }
    }
  }

  std::string_view text_;
  int maxDepth_;
  size_t pos_ = 0;
  std::string error_;
  size_t lineScan_ = 0, lineStart_ = 0;
  int line_ = 1;
};

void writeString(const std::string& s, std::string* out) {
  out->push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      case '\b': *out += "\\b"; break;
      case '\f': *out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          snprintf(buf, sizeof(buf), "\\u%04x", c);
          *out += buf;
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

void writeNumber(double v, std::string* out) {
  if (!std::isfinite(v)) {
    *out += "null";
    return;
  }
  char buf[32];
  // Integers print without an exponent ("1000000", not "1e+06"); 2^53 bounds the exact ones.
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) {
    *out += std::to_string(static_cast<int64_t>(v));
    return;
  }
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, ec == std::errc() ? end : buf);
}

constexpr size_t kLineWidth = 100;

void writeValue(const Value& v, bool pretty, int indent, std::string* out);

// One-line form; "spaced" puts a blank after ':' and ',' as the pretty form does.
void writeInline(const Value& v, bool spaced, std::string* out) {
  switch (v.type()) {
    case Type::Null: *out += "null"; return;
    case Type::Bool: *out += v.asBool() ? "true" : "false"; return;
    case Type::Number: writeNumber(v.asNumber(), out); return;
    case Type::String: writeString(v.asString(), out); return;
    case Type::Array:
      out->push_back('[');
      for (size_t i = 0; i < v.items().size(); ++i) {
        if (i > 0) *out += spaced ? ", " : ",";
        writeInline(v.items()[i], spaced, out);
      }
      out->push_back(']');
      return;
    case Type::Object:
      out->push_back('{');
      for (size_t i = 0; i < v.members().size(); ++i) {
        if (i > 0) *out += spaced ? ", " : ",";
        writeString(v.members()[i].key, out);
        *out += spaced ? ": " : ":";
        writeInline(v.members()[i].value, spaced, out);
      }
      out->push_back('}');
      return;
  }
}

void writeValue(const Value& v, bool pretty, int indent, std::string* out) {
  if (!pretty || !(v.is(Type::Array) || v.is(Type::Object))) {
    writeInline(v, pretty, out);
    return;
  }
  std::string oneLine;
  writeInline(v, true, &oneLine);
  size_t column = out->size() - (out->rfind('\n') == std::string::npos ? 0 : out->rfind('\n') + 1);
  if (column + oneLine.size() <= kLineWidth) {
    *out += oneLine;
    return;
  }
  std::string pad(static_cast<size_t>(indent + 2), ' ');
  bool isArray = v.is(Type::Array);
  out->push_back(isArray ? '[' : '{');
  size_t n = isArray ? v.items().size() : v.members().size();
  for (size_t i = 0; i < n; ++i) {
    *out += i == 0 ? "\n" : ",\n";
    *out += pad;
    if (isArray) {
      writeValue(v.items()[i], true, indent + 2, out);
    } else {
      writeString(v.members()[i].key, out);
      *out += ": ";
      writeValue(v.members()[i].value, true, indent + 2, out);
    }
  }
  out->push_back('\n');
  out->append(static_cast<size_t>(indent), ' ');
  out->push_back(isArray ? ']' : '}');
}

}  // namespace

bool parse(std::string_view text, Value* out, std::string* error, int maxDepth) {
  return Parser(text, maxDepth).document(out, error);
}

std::string write(const Value& value, bool pretty) {
  std::string out;
  writeValue(value, pretty, 0, &out);
  if (pretty) out.push_back('\n');
  return out;
}

}  // namespace hccl::json
