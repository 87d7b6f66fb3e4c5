// The `aime` program's subcommands. Each command group (checkpoint, dataset, collect, ...)
// registers a Command; main.cpp dispatches on the first argument(s). This folder is the
// only place that parses options (Boost.Program_options).
#pragma once
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace aime::app {

struct Command {
  std::string name;     // "checkpoint info"
  std::string summary;  // one line for `aime --help`
  // Runs with the arguments after the command's name; returns the exit status. Usage
  // errors throw UsageError; library errors (aime::Error) propagate.
  std::function<int(const std::vector<std::string>& args)> run;
};

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Every command, in the order `aime --help` lists them.
std::vector<Command> all_commands();

// One entry per file that defines commands.
std::vector<Command> checkpoint_commands();
std::vector<Command> dataset_commands();
std::vector<Command> collect_commands();
std::vector<Command> model_commands();
std::vector<Command> plot_commands();
std::vector<Command> imitation_commands();
std::vector<Command> agent_commands();

}  // namespace aime::app
