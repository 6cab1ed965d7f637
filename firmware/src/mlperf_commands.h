// The commands of the MLPerf Tiny / EEMBC host runner (mlcommons/tiny benchmark/runner), served beside
// our own protocol: infer, profile, db, results, timestamp, help (firmware/PROTOCOL.md).
#ifndef EMBBERT_FIRMWARE_MLPERF_COMMANDS_H_
#define EMBBERT_FIRMWARE_MLPERF_COMMANDS_H_

// Runs the command in argv[0] if it is one of these and returns true; false for any other command.
bool mlperf_command(int argc, char* argv[]);

#endif  // EMBBERT_FIRMWARE_MLPERF_COMMANDS_H_
