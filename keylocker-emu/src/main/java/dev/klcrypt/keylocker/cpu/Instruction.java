package dev.klcrypt.keylocker.cpu;

/** The Key Locker instructions the emulator executes and counts. */
public enum Instruction {
  LOADIWKEY,
  ENCODEKEY128,
  ENCODEKEY256,
  AESENC128KL,
  AESDEC128KL,
  AESENC256KL,
  AESDEC256KL,
  AESENCWIDE128KL,
  AESDECWIDE128KL,
  AESENCWIDE256KL,
  AESDECWIDE256KL;

  static Instruction single(boolean wide256, boolean encrypt) {
    return wide256 ? (encrypt ? AESENC256KL : AESDEC256KL) : (encrypt ? AESENC128KL : AESDEC128KL);
  }

  static Instruction wide(boolean aes256, boolean encrypt) {
    return aes256
        ? (encrypt ? AESENCWIDE256KL : AESDECWIDE256KL)
        : (encrypt ? AESENCWIDE128KL : AESDECWIDE128KL);
  }
}
