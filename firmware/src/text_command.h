// The text commands of firmware/PROTOCOL.md: `classify <text>%`, `classify-pair <a>|<b>%`, and
// `tokenize`, `tokenize-pair` (the same without the inference).
// Their text streams through the tokenizer byte by byte as it arrives (no line buffer, any length).
#ifndef EMBBERT_FIRMWARE_TEXT_COMMAND_H_
#define EMBBERT_FIRMWARE_TEXT_COMMAND_H_

// If `word` (the `len` bytes received so far, ended by a space or tab) names a text command, starts
// it and returns true: the next bytes go to text_command_feed().
bool text_command_start(const char* word, int len);

// True between text_command_start() and the end of the command.
bool text_command_active();

// Feeds one byte of the command's text. Returns true when it was the command's terminating '%': the
// reply has been printed (all but the final m-ready).
bool text_command_feed(char c);

// True if `cmd` names a text command (for the error when one comes without its text).
bool is_text_command(const char* cmd);

#endif  // EMBBERT_FIRMWARE_TEXT_COMMAND_H_
