// aime: the command-line program. `aime --help` lists the commands; `aime COMMAND --help`
// describes one. Exit status: 0 success, 1 failure (the message names the file and the
// field), 2 bad usage.
#include <cstdio>
#include <iostream>

#include "apps/command.h"
#include "autograd/error.h"
#include "distributed/communicator.h"

namespace aime::app {

std::vector<Command> all_commands() {
  std::vector<Command> all;
  for (auto& c : checkpoint_commands()) all.push_back(std::move(c));
  for (auto& c : dataset_commands()) all.push_back(std::move(c));
  for (auto& c : collect_commands()) all.push_back(std::move(c));
  for (auto& c : model_commands()) all.push_back(std::move(c));
  for (auto& c : imitation_commands()) all.push_back(std::move(c));
  for (auto& c : agent_commands()) all.push_back(std::move(c));
  for (auto& c : plot_commands()) all.push_back(std::move(c));
  return all;
}

}  // namespace aime::app

namespace {

void print_help(std::ostream& os, const std::vector<aime::app::Command>& commands) {
  os << "aime: variational world models and action inference (AIME), from scratch in C++\n\n"
     << "usage: aime COMMAND [ARGS...]      (aime COMMAND --help for its options)\n\ncommands:\n";
  std::size_t width = 0;
  for (const auto& c : commands) width = std::max(width, c.name.size());
  for (const auto& c : commands) os << "  " << c.name << std::string(width - c.name.size() + 3, ' ') << c.summary << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  const auto commands = aime::app::all_commands();
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_help(args.empty() ? std::cerr : std::cout, commands);
    return args.empty() ? 2 : 0;
  }
  // The longest command name that prefixes the arguments ("checkpoint info" over "checkpoint").
  const aime::app::Command* match = nullptr;
  std::size_t used = 0;
  for (const auto& c : commands) {
    std::vector<std::string> words;
    std::string word;
    for (char ch : c.name + " ") {
      if (ch == ' ') {
        words.push_back(word);
        word.clear();
      } else {
        word += ch;
      }
    }
    if (words.size() <= args.size() && std::equal(words.begin(), words.end(), args.begin()) && words.size() > used) {
      match = &c;
      used = words.size();
    }
  }
  if (!match) {
    // A group name alone ("aime checkpoint") lists its commands.
    std::vector<aime::app::Command> group;
    for (const auto& c : commands)
      if (c.name.rfind(args[0] + " ", 0) == 0) group.push_back(c);
    if (!group.empty()) {
      const bool help = args.size() > 1 && (args[1] == "--help" || args[1] == "-h");
      print_help(help ? std::cout : std::cerr, group);
      if (!help && args.size() > 1) std::cerr << "\naime: unknown command '" << args[0] << " " << args[1] << "'\n";
      return help ? 0 : 2;
    }
    std::cerr << "aime: unknown command '" << args[0] << "'\n\n";
    print_help(std::cerr, commands);
    return 2;
  }
  try {
    return match->run(std::vector<std::string>(args.begin() + static_cast<std::ptrdiff_t>(used), args.end()));
  } catch (const aime::app::UsageError& e) {
    std::cerr << "aime " << match->name << ": " << e.what() << "\n(see aime " << match->name << " --help)\n";
    return 2;
  } catch (const std::exception& e) {
    // One rank of several: say which, then stop every rank (the others would otherwise
    // wait for this one in their next all-reduce). Through stderr itself: a rank other than
    // 0 has std::cerr silenced (apps/parallel_run.h).
    if (aime::distributed::Communicator* world = aime::distributed::started_world(); world && world->size() > 1) {
      std::fprintf(stderr, "aime %s: error (rank %d of %d): %s\n", match->name.c_str(), world->rank(), world->size(),
                   e.what());
      std::fflush(stderr);
      world->abort(1);
    }
    std::cerr << "aime " << match->name << ": error: " << e.what() << "\n";
    return 1;
  }
}
