// The board-independent application: the serial protocol of firmware/PROTOCOL.md over the model runner.
#ifndef EMBBERT_FIRMWARE_APP_H_
#define EMBBERT_FIRMWARE_APP_H_

// Builds the interpreter, prints the boot banner and the first `m-ready`. Call after board_init().
void app_init();

// Feeds one received byte; a complete command (`...%`) is executed before this returns.
void app_feed(char c);

#endif  // EMBBERT_FIRMWARE_APP_H_
