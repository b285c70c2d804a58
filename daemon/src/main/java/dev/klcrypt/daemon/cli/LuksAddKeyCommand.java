package dev.klcrypt.daemon.cli;

import dev.klcrypt.blockdev.LuksImage;
import dev.klcrypt.blockdev.LuksType;
import dev.klcrypt.blockdev.kdf.Passphrase;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code klcrypt luksAddKey IMAGE [NEW_KEY_FILE]}: adds a keyslot (runs in this process). */
@Command(name = "luksAddKey", description = "Add a passphrase to a free keyslot of IMAGE.")
final class LuksAddKeyCommand implements Callable<Integer> {
  @Option(
      names = {"--key-file", "-d"},
      paramLabel = "F",
      description = "an existing passphrase from F ('-' = stdin)")
  String keyFile;

  @Option(names = "--new-keyfile", paramLabel = "F", description = "the new passphrase from F")
  String newKeyFile;

  @Option(
      names = {"--type", "-M"},
      paramLabel = "TYPE",
      description = "luks2 (default) or luks1: picks the default KDF")
  String type = "luks2";

  @Mixin KdfOptions kdf;

  @Parameters(index = "0", paramLabel = "IMAGE")
  Path image;

  @Parameters(index = "1", paramLabel = "NEW_KEY_FILE", arity = "0..1")
  String positionalNewKeyFile;

  @Override
  public Integer call() throws Exception {
    String added = newKeyFile != null ? newKeyFile : positionalNewKeyFile;
    if ("-".equals(added) && "-".equals(keyFile)) {
      throw new CommandFailedException(
          ExitCode.WRONG_PARAMETERS, "Only one of the passphrases can come from stdin.");
    }
    LuksType luksType =
        type.equalsIgnoreCase("luks1") || isLuks1(image) ? LuksType.LUKS1 : LuksType.LUKS2;
    PassphraseInput input = PassphraseInput.system();
    byte[] existing = input.read(keyFile, "Enter any existing passphrase: ", false);
    try (Passphrase existingPassphrase = Passphrase.fromBytes(existing)) {
      byte[] fresh = input.read(added, "Enter new passphrase for key slot: ", true);
      try (Passphrase addedPassphrase = Passphrase.fromBytes(fresh);
          LocalPlatform platform = LocalPlatform.boot()) {
        int slot =
            LuksImage.addKey(
                image, existingPassphrase, addedPassphrase, kdf.toSpec(luksType), platform.cpu());
        System.out.println("Key slot " + slot + " created.");
      }
    }
    return ExitCode.SUCCESS.code();
  }

  /** The LUKS version is the big-endian u16 after the 6-byte magic, in both formats. */
  private static boolean isLuks1(Path image) throws java.io.IOException {
    try (java.io.InputStream in = java.nio.file.Files.newInputStream(image)) {
      byte[] head = in.readNBytes(8);
      return head.length == 8 && head[6] == 0 && head[7] == 1;
    }
  }
}
