// Unit tests of parse_duration, the parser behind every duration flag.
#include "duration.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

using hookbus::detail::parse_duration;
using namespace std::chrono_literals;

TEST(ParseDuration, AcceptsEachUnit) {
    EXPECT_EQ(parse_duration("250ms"), 250ms);
    EXPECT_EQ(parse_duration("5s"), 5000ms);
    EXPECT_EQ(parse_duration("2m"), 120000ms);
    EXPECT_EQ(parse_duration("1h"), 3600000ms);
}

TEST(ParseDuration, AcceptsZero) { EXPECT_EQ(parse_duration("0s"), 0ms); }

TEST(ParseDuration, RefusesANumberWithoutUnit) {
    EXPECT_THROW(parse_duration("5"), std::invalid_argument);
}

TEST(ParseDuration, RefusesUnknownUnitsAndJunk) {
    EXPECT_THROW(parse_duration("5d"), std::invalid_argument);
    EXPECT_THROW(parse_duration("ms"), std::invalid_argument);
    EXPECT_THROW(parse_duration("-5s"), std::invalid_argument);
    EXPECT_THROW(parse_duration("1.5s"), std::invalid_argument);
    EXPECT_THROW(parse_duration(""), std::invalid_argument);
}

TEST(ParseDuration, ErrorNamesTheText) {
    try {
        parse_duration("soon");
        FAIL() << "no exception";
    } catch (const std::invalid_argument& error) {
        EXPECT_NE(std::string(error.what()).find("'soon'"), std::string::npos);
    }
}
