package dev.klcrypt.blockdev.kdf;

import java.util.Arrays;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.ExtendedDigest;
import org.bouncycastle.util.Memoable;

/**
 * PBKDF2-HMAC (RFC 8018) over Bouncy Castle's digests, with every key-dependent buffer ours so it
 * can be wiped. Bouncy Castle's own {@code PKCS5S2ParametersGenerator} copies the password into a
 * {@code KeyParameter} and keeps {@code key XOR ipad} inside its {@code HMac}, neither of which can
 * be wiped, so a heap dump would show the key. Here only the digest states after the two pad blocks
 * remain, and they are dropped when the call returns.
 */
final class Pbkdf2 {
  private Pbkdf2() {}

  static void derive(HashAlgorithm hash, byte[] password, byte[] salt, int iterations, byte[] out) {
    if (iterations <= 0) {
      throw new IllegalArgumentException("iterations must be positive");
    }
    Digest inner = hash.newDigest();
    Digest outer = hash.newDigest();
    int hl = inner.getDigestSize();
    int bl = ((ExtendedDigest) inner).getByteLength();
    byte[] pad = new byte[bl];
    byte[] u = new byte[hl];
    byte[] t = new byte[hl];
    byte[] counter = new byte[4];
    Memoable innerState;
    Memoable outerState;
    try {
      if (password.length > bl) {
        inner.update(password, 0, password.length);
        inner.doFinal(u, 0);
        System.arraycopy(u, 0, pad, 0, hl);
      } else {
        System.arraycopy(password, 0, pad, 0, password.length);
      }
      for (int i = 0; i < bl; i++) {
        pad[i] ^= 0x36;
      }
      inner.update(pad, 0, bl);
      innerState = ((Memoable) inner).copy();
      for (int i = 0; i < bl; i++) {
        pad[i] ^= 0x36 ^ 0x5c;
      }
      outer.update(pad, 0, bl);
      outerState = ((Memoable) outer).copy();
      Arrays.fill(pad, (byte) 0);

      int blocks = (out.length + hl - 1) / hl;
      for (int b = 1; b <= blocks; b++) {
        counter[0] = (byte) (b >>> 24);
        counter[1] = (byte) (b >>> 16);
        counter[2] = (byte) (b >>> 8);
        counter[3] = (byte) b;
        ((Memoable) inner).reset(innerState);
        inner.update(salt, 0, salt.length);
        inner.update(counter, 0, 4);
        inner.doFinal(u, 0);
        ((Memoable) outer).reset(outerState);
        outer.update(u, 0, hl);
        outer.doFinal(u, 0);
        System.arraycopy(u, 0, t, 0, hl);
        for (int j = 1; j < iterations; j++) {
          ((Memoable) inner).reset(innerState);
          inner.update(u, 0, hl);
          inner.doFinal(u, 0);
          ((Memoable) outer).reset(outerState);
          outer.update(u, 0, hl);
          outer.doFinal(u, 0);
          for (int k = 0; k < hl; k++) {
            t[k] ^= u[k];
          }
        }
        int off = (b - 1) * hl;
        System.arraycopy(t, 0, out, off, Math.min(hl, out.length - off));
      }
    } finally {
      Arrays.fill(pad, (byte) 0);
      Arrays.fill(u, (byte) 0);
      Arrays.fill(t, (byte) 0);
    }
  }
}
