package dev.klcrypt.blockdev;

/** The two on-disk LUKS versions. */
public enum LuksType {
  LUKS1,
  LUKS2
}
