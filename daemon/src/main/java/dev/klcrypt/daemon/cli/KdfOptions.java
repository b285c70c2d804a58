package dev.klcrypt.daemon.cli;

import dev.klcrypt.blockdev.LuksType;
import dev.klcrypt.blockdev.kdf.HashAlgorithm;
import dev.klcrypt.blockdev.kdf.KdfSpec;
import java.util.Locale;
import picocli.CommandLine.Option;

/** cryptsetup's PBKDF flags, shared by luksFormat and luksAddKey. */
final class KdfOptions {
  @Option(names = "--pbkdf", paramLabel = "KDF", description = "argon2id, argon2i or pbkdf2")
  String pbkdf;

  @Option(
      names = {"--hash", "-h"},
      paramLabel = "HASH",
      description = "PBKDF2 hash (default sha256)")
  String hash = "sha256";

  @Option(
      names = {"--iter-time", "-i"},
      paramLabel = "MS",
      description = "target unlock time when costs are benchmarked (default 2000)")
  int iterTimeMillis = 2000;

  @Option(
      names = "--pbkdf-force-iterations",
      paramLabel = "N",
      description = "fixed cost: PBKDF2 iterations or Argon2 passes (no benchmark)")
  int forceIterations;

  @Option(names = "--pbkdf-memory", paramLabel = "KIB", description = "Argon2 memory cost in KiB")
  int memoryKiB;

  @Option(names = "--pbkdf-parallel", paramLabel = "N", description = "Argon2 lanes")
  int parallel;

  /** The KDF to create a keyslot with; LUKS1 only knows PBKDF2. */
  KdfSpec toSpec(LuksType type) {
    KdfSpec.Type kdf =
        pbkdf == null
            ? (type == LuksType.LUKS1 ? KdfSpec.Type.PBKDF2 : KdfSpec.Type.ARGON2ID)
            : switch (pbkdf.toLowerCase(Locale.ROOT)) {
              case "pbkdf2" -> KdfSpec.Type.PBKDF2;
              case "argon2id" -> KdfSpec.Type.ARGON2ID;
              case "argon2i" -> KdfSpec.Type.ARGON2I;
              default ->
                  throw new CommandFailedException(
                      ExitCode.WRONG_PARAMETERS,
                      "Unknown PBKDF " + pbkdf + " (argon2id, argon2i, pbkdf2).");
            };
    if (type == LuksType.LUKS1 && kdf != KdfSpec.Type.PBKDF2) {
      throw new CommandFailedException(
          ExitCode.WRONG_PARAMETERS, "LUKS1 supports only the pbkdf2 PBKDF.");
    }
    HashAlgorithm h = hashAlgorithm();
    if (kdf == KdfSpec.Type.PBKDF2) {
      return new KdfSpec(kdf, h, forceIterations, 0, 0, 0, iterTimeMillis);
    }
    return new KdfSpec(kdf, h, 0, memoryKiB, forceIterations, parallel, iterTimeMillis);
  }

  private HashAlgorithm hashAlgorithm() {
    for (HashAlgorithm h : HashAlgorithm.values()) {
      if (h.luksName().equalsIgnoreCase(hash)) {
        return h;
      }
    }
    throw new CommandFailedException(ExitCode.WRONG_PARAMETERS, "Unknown hash " + hash + ".");
  }
}
