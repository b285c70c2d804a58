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
    LuksType luksType = LuksImage.type(image);
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
}
