package dev.klcrypt.blockdev.kdf;

import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.digests.RIPEMD160Digest;
import org.bouncycastle.crypto.digests.SHA1Digest;
import org.bouncycastle.crypto.digests.SHA224Digest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA384Digest;
import org.bouncycastle.crypto.digests.SHA512Digest;

/**
 * The hashes LUKS headers name (hash-spec, AF hash, PBKDF2 hash, checksum_alg), by their cryptsetup
 * spelling.
 */
public enum HashAlgorithm {
  SHA1("sha1", SHA1Digest::new),
  SHA224("sha224", SHA224Digest::new),
  SHA256("sha256", SHA256Digest::new),
  SHA384("sha384", SHA384Digest::new),
  SHA512("sha512", SHA512Digest::new),
  RIPEMD160("ripemd160", RIPEMD160Digest::new);

  private final String luksName;
  private final Supplier<Digest> factory;

  HashAlgorithm(String luksName, Supplier<Digest> factory) {
    this.luksName = luksName;
    this.factory = factory;
  }

  /** The name as written in LUKS headers, e.g. {@code sha256}. */
  public String luksName() {
    return luksName;
  }

  /** A fresh Bouncy Castle digest. */
  public Digest newDigest() {
    return factory.get();
  }

  public int digestLength() {
    return newDigest().getDigestSize();
  }

  /** Looks a header's hash name up (case-insensitive, as cryptsetup lower-cases it). */
  public static Optional<HashAlgorithm> byLuksName(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    for (HashAlgorithm h : values()) {
      if (h.luksName.equals(n)) {
        return Optional.of(h);
      }
    }
    return Optional.empty();
  }
}
