// The exec hook the notification tests run: appends one line per run to the file named by its
// first argument: every further argument in [brackets], the idempotency key from the
// environment, and the length of what arrived on standard input. Exit status from
// CIRCUITD_TEST_HOOK_EXIT in the file "<file>.exit" if present (lets a test make it fail).
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2) return 64;
  const std::string file = argv[1];
  std::string in((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  int code = 0;
  if (std::ifstream ex(file + ".exit"); ex) ex >> code;
  if (code != 0) return code;
  std::ostringstream line;
  for (int i = 2; i < argc; ++i) line << '[' << argv[i] << ']';
  const char* key = std::getenv("CIRCUITD_IDEMPOTENCY_KEY");
  line << " key=" << (key ? key : "") << " stdin=" << in.size();
  std::ofstream(file, std::ios::app) << line.str() << "\n";
  return 0;
}
