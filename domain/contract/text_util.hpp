#pragma once
// UTF-8 and cell-text helpers shared by the contract and CSV parsers (internal to the library).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace circuitd::contract::detail {

/// Decodes UTF-8 (input already validated by checkText); invalid bytes become U+FFFD.
std::u32string decode(std::string_view s);
/// Encodes code points as UTF-8.
std::string encode(std::u32string_view s);
/// CJK ideographs, CJK punctuation and full-width forms.
bool isCjk(char32_t c);
/// ASCII blanks, no-break space and the ideographic space.
bool isBlank(char32_t c);
/// Trims blanks (including U+3000) at both ends.
std::string trim(std::string_view s);
/// Removes every blank.
std::string removeBlanks(std::string_view s);
/// Joins the blank-separated pieces of an extracted cell: no space next to CJK text (the
/// extractor broke words), broken codes like "WK-0 5" closed up; `dedupe` drops a CJK overlap
/// repeated at a break ("民警 警务" -> "民警务"), which PDF line wrapping produces.
std::string joinPieces(std::string_view s, bool dedupe);
/// Appends `b` to `a` with the same rules as joinPieces.
std::string joinTwo(const std::string& a, const std::string& b, bool dedupe);
/// Parses "10800", "1,200.50", "300元", "¥300"; nullopt when not a number.
std::optional<double> parseMoney(std::string_view s);
/// Parses a plain non-negative integer.
std::optional<int> parseInt(std::string_view s);
/// Parses "100M", "1G", "512K", "20Mbps" into Mbit/s; nullopt for anything else.
std::optional<double> parseBandwidth(std::string_view s);
/// Every date in the text ("2024年1月1日", "2024-01-01", "2024.1.1", "2024/1/1") as ISO.
std::vector<std::string> findDates(std::string_view s);
/// True for "/", "-", "—", "无", "N/A" and the like: an explicit "nothing here".
bool isPlaceholder(std::string_view s);
/// Formats yuan/Mbit values: integers without decimals, otherwise up to two decimals.
std::string formatNumber(double v);
/// Splits text into lines, dropping "\r" and a leading BOM.
std::vector<std::string> splitLines(std::string_view text);

}  // namespace circuitd::contract::detail
