// EmbBERT-Q on the Arduino Nano 33 BLE: the firmware's board-independent core (app.cpp and the rest,
// copied here by `make -C firmware BOARD=nano33ble`) served over the native USB serial port.
#include "app.h"
#include "board.h"

void setup() {
  board_init();
  app_init();
}

void loop() {
  while (Serial.available() > 0) app_feed(static_cast<char>(Serial.read()));
}
