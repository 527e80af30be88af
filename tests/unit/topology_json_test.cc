// The JSON parser and writer behind topology files: what it accepts, what it refuses and where it
// says the text went wrong, depth limits, escapes, numbers, and writing back what was read.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "topology/json.h"

namespace hccl::json {
namespace {

Value parseOk(const std::string& text) {
  Value v;
  std::string error;
  EXPECT_TRUE(parse(text, &v, &error)) << text << " -> " << error;
  return v;
}

// The error text for `text`, which must not parse.
std::string parseError(const std::string& text, int maxDepth = kDefaultMaxDepth) {
  Value v;
  std::string error;
  EXPECT_FALSE(parse(text, &v, &error, maxDepth)) << text;
  return error;
}

TEST(JsonParse, AllTypesAndPositions) {
  Value v = parseOk(" {\n  \"a\": [1, -2.5, true, false, null],\n  \"b\": {\"c\": \"text\"}\n}\n");
  ASSERT_TRUE(v.is(Type::Object));
  EXPECT_EQ(v.line(), 1);
  EXPECT_EQ(v.column(), 2);
  const Value* a = v.find("a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->items().size(), 5u);
  EXPECT_EQ(a->line(), 2);
  EXPECT_EQ(a->column(), 8);
  EXPECT_EQ(a->items()[0].asNumber(), 1);
  EXPECT_EQ(a->items()[1].asNumber(), -2.5);
  EXPECT_EQ(a->items()[1].column(), 12);
  EXPECT_TRUE(a->items()[2].asBool());
  EXPECT_FALSE(a->items()[3].asBool());
  EXPECT_TRUE(a->items()[4].is(Type::Null));
  const Value* c = v.find("b")->find("c");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->asString(), "text");
  EXPECT_EQ(c->line(), 3);
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_EQ(a->find("a"), nullptr);  // not an object
}

TEST(JsonParse, ScalarsAndEmptyContainersAtTopLevel) {
  EXPECT_EQ(parseOk("42").asNumber(), 42);
  EXPECT_EQ(parseOk("\"x\"").asString(), "x");
  EXPECT_TRUE(parseOk("[]").items().empty());
  EXPECT_TRUE(parseOk("{ }").members().empty());
  EXPECT_TRUE(parseOk("\t\r\n null \n").is(Type::Null));
}

TEST(JsonParse, MembersKeepDocumentOrder) {
  Value v = parseOk("{\"z\": 1, \"a\": 2, \"m\": 3}");
  ASSERT_EQ(v.members().size(), 3u);
  EXPECT_EQ(v.members()[0].key, "z");
  EXPECT_EQ(v.members()[1].key, "a");
  EXPECT_EQ(v.members()[2].key, "m");
}

TEST(JsonParse, ErrorsNameLineAndColumn) {
  EXPECT_EQ(parseError("{\"a\": 1,}"), "1:9: expected a member name in double quotes");
  EXPECT_EQ(parseError("{\n  \"a\": tru\n}"), "2:8: invalid literal");
  EXPECT_EQ(parseError("[1, 2"), "1:6: expected ',' or ']' in the array");
  EXPECT_EQ(parseError("[1 2]"), "1:4: expected ',' or ']' in the array");
  EXPECT_EQ(parseError("{\"a\" 1}"), "1:6: expected ':' after the member name");
  EXPECT_EQ(parseError("{\"a\": 1 \"b\": 2}"), "1:9: expected ',' or '}' in the object");
  EXPECT_EQ(parseError(""), "1:1: unexpected end of text, expected a value");
  EXPECT_EQ(parseError("   "), "1:4: unexpected end of text, expected a value");
  EXPECT_EQ(parseError("{} {}"), "1:4: unexpected text after the document");
  EXPECT_EQ(parseError("{\"a\": 1, \"a\": 2}"), "1:10: duplicate member \"a\"");
  EXPECT_EQ(parseError("[\n\n    x]"), "3:5: expected a value");
  EXPECT_EQ(parseError("\"abc"), "1:5: unterminated string");
}

TEST(JsonParse, RefusesWhatJsonDoesNotAllow) {
  for (const char* text : {"[1,]", "{,}", "// c\n1", "/* c */ 1", "'a'", "{a: 1}", "NaN", "Infinity", "-Infinity",
                           "True", "nul", "[1]]", "{\"a\":1}}", "\"a\"\"b\""}) {
    EXPECT_FALSE(parseError(text).empty()) << text;
  }
}

TEST(JsonParse, NestingDepthIsBounded) {
  std::string ok = std::string(kDefaultMaxDepth, '[') + std::string(kDefaultMaxDepth, ']');
  parseOk(ok);
  std::string deep = std::string(kDefaultMaxDepth + 1, '[') + std::string(kDefaultMaxDepth + 1, ']');
  EXPECT_EQ(parseError(deep), "1:65: nesting deeper than the limit");
  EXPECT_EQ(parseError("{\"a\": {\"b\": {}}}", 2), "1:13: nesting deeper than the limit");
  // A hostile document far deeper than any stack would allow is refused, not followed.
  EXPECT_FALSE(parseError(std::string(1000000, '[')).empty());
  EXPECT_FALSE(parseError(std::string(500000, '{') + "\"").empty());
}

TEST(JsonParse, StringEscapes) {
  Value v = parseOk(R"("q\" b\\ s\/ \b\f\n\r\t")");
  EXPECT_EQ(v.asString(), "q\" b\\ s/ \b\f\n\r\t");
  EXPECT_EQ(parseOk(R"("\u0041\u00e9\u20AC")").asString(), "A\xc3\xa9\xe2\x82\xac");
  EXPECT_EQ(parseOk(R"("\ud83d\ude00")").asString(), "\xf0\x9f\x98\x80");
  EXPECT_EQ(parseOk(R"("\u0000")").asString(), std::string(1, '\0'));
  EXPECT_EQ(parseOk("\"raw \xc3\xa9 \xf0\x9f\x98\x80\"").asString(), "raw \xc3\xa9 \xf0\x9f\x98\x80");
  EXPECT_EQ(parseError(R"("\x")"), "1:2: invalid escape");
  EXPECT_EQ(parseError(R"("\u12G4")"), "1:6: expected four hex digits after \\u");
  EXPECT_EQ(parseError(R"("\ude00")"), "1:2: lone low surrogate in \\u escape");
  EXPECT_EQ(parseError(R"("\ud83d")"), "1:2: high surrogate without its low half");
  EXPECT_EQ(parseError(R"("\ud83d\u0041")"), "1:2: high surrogate without its low half");
  EXPECT_EQ(parseError("\"a\nb\""), "1:3: control character in string (escape it)");
  EXPECT_EQ(parseError("\"a\tb\""), "1:3: control character in string (escape it)");
}

TEST(JsonParse, InvalidUtf8IsRefused) {
  for (const char* text : {"\"\xff\"", "\"\xc0\x80\"", "\"\xc3\"", "\"\xe0\x80\x80\"", "\"\xed\xa0\x80\"",
                           "\"\xf4\x90\x80\x80\"", "\"\x80\""}) {
    EXPECT_EQ(parseError(text), "1:2: invalid UTF-8 in string") << text;
  }
}

TEST(JsonParse, Numbers) {
  EXPECT_EQ(parseOk("0").asNumber(), 0);
  EXPECT_TRUE(std::signbit(parseOk("-0").asNumber()));
  EXPECT_EQ(parseOk("1.5e3").asNumber(), 1500);
  EXPECT_EQ(parseOk("1E-2").asNumber(), 0.01);
  EXPECT_EQ(parseOk("2e+2").asNumber(), 200);
  EXPECT_EQ(parseOk("123456789012").asNumber(), 123456789012.0);
  EXPECT_EQ(parseOk("0.1").asNumber(), 0.1);
  EXPECT_EQ(parseOk("1.7976931348623157e308").asNumber(), std::numeric_limits<double>::max());
  EXPECT_EQ(parseError("01"), "1:2: leading zeros are not allowed");
  EXPECT_EQ(parseError("-"), "1:2: expected a digit");
  EXPECT_EQ(parseError("1."), "1:3: expected a digit");
  EXPECT_EQ(parseError("1e"), "1:3: expected a digit");
  EXPECT_EQ(parseError("1e+"), "1:4: expected a digit");
  EXPECT_EQ(parseError(".5"), "1:1: expected a value");
  EXPECT_EQ(parseError("+1"), "1:1: expected a value");
  EXPECT_EQ(parseError("[1e400]"), "1:2: number out of range");
  EXPECT_EQ(parseError("1e-400"), "1:1: number out of range");
}

TEST(JsonWrite, NumbersReadBackExactly) {
  for (double d : {0.0, 1.0, -3.0, 0.1, 0.2, 1.0 / 3, 400.0, 0.4, 3584.0, 1e6, 1e-7, 6.02214076e23, -2.5e-300,
                   9007199254740991.0, 9007199254740993.0 * 4}) {
    std::string text = write(Value::number(d), false);
    EXPECT_EQ(parseOk(text).asNumber(), d) << text;
  }
  EXPECT_EQ(write(Value::number(1000000), false), "1000000");
  EXPECT_EQ(write(Value::number(0.4), false), "0.4");
  EXPECT_EQ(write(Value::number(-7), false), "-7");
  EXPECT_EQ(write(Value::number(std::nan("")), false), "null");
  EXPECT_EQ(write(Value::number(INFINITY), false), "null");
}

TEST(JsonWrite, StringsAreEscaped) {
  std::string nasty = std::string("quote\" back\\ nl\n cr\r tab\t bs\b ff\f nul") + '\0' + "\x1f \xc3\xa9";
  std::string text = write(Value::string(nasty), false);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_NE(text.find("\\u0000"), std::string::npos);
  EXPECT_NE(text.find("\\u001f"), std::string::npos);
  EXPECT_EQ(parseOk(text).asString(), nasty);
}

TEST(JsonWrite, CompactAndPrettyReadBackTheSame) {
  Value doc = Value::object();
  doc.set("name", Value::string("n"));
  Value& list = doc.set("list", Value::array());
  for (int i = 0; i < 40; ++i) list.add(Value::number(i * 1.25));
  Value& inner = doc.set("inner", Value::object());
  inner.set("flag", Value::boolean(true));
  inner.set("none", Value());
  doc.set("empty", Value::array());
  std::string compact = write(doc, false);
  EXPECT_EQ(compact.find(' '), std::string::npos);
  EXPECT_EQ(compact.substr(0, 20), "{\"name\":\"n\",\"list\":[");
  std::string pretty = write(doc, true);
  EXPECT_EQ(pretty.back(), '\n');
  EXPECT_NE(pretty.find("\n  \"inner\": {\"flag\": true, \"none\": null}"), std::string::npos) << pretty;
  for (size_t start = 0, end; (end = pretty.find('\n', start)) != std::string::npos; start = end + 1)
    EXPECT_LE(end - start, 100u) << "a line longer than 100 characters";
  EXPECT_EQ(write(parseOk(pretty), false), compact);
  EXPECT_EQ(write(parseOk(compact), false), compact);
}

}  // namespace
}  // namespace hccl::json
