// Argument parsing and error replies shared by the command handlers (app.cc, mlperf_commands.cc).
#ifndef EMBBERT_FIRMWARE_COMMAND_ARGS_H_
#define EMBBERT_FIRMWARE_COMMAND_ARGS_H_

#include <cstdint>

// Starts an error line: "e-[" ... finish with error_end().
void error_begin();
void error_end();
// One complete error line: "e-[msg]".
void reply_error(const char* msg);

// Parses a decimal number in [lo, hi]; prints the error and returns false otherwise.
bool parse_number(const char* what, const char* s, uint32_t lo, uint32_t hi, uint32_t* out);

// The value of one hex digit, or -1.
int hex_digit(char c);

// True when `argc` (the command word included) is `expected` + 1; prints the error otherwise.
bool arg_count(const char* cmd, int argc, int expected);

// True when the model initialised at boot; prints `e-[model not ready: <reason>]` otherwise.
bool model_ready();

// True when `id` is a valid token id (< vocab); prints the error naming `position` otherwise.
bool check_token_id(uint32_t id, uint32_t position);

#endif  // EMBBERT_FIRMWARE_COMMAND_ARGS_H_
