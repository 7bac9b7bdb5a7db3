"""Counter devices: the second-generation ID card reader (二代身份证阅读器). Qt-free; nothing here logs a
card's contents."""
