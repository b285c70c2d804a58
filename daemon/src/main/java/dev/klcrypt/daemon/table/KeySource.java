package dev.klcrypt.daemon.table;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the key of a table entry comes from: the third crypttab field, plus the {@code ephemeral}
 * option.
 */
public sealed interface KeySource {

  /**
   * A key file read whole (cryptsetup {@code --key-file} semantics, no newline stripping). The path
   * is absolute and normalized; whether it exists is checked when the volume is opened, not when
   * the table is read.
   */
  record KeyFile(Path path) implements KeySource {
    public KeyFile {
      Objects.requireNonNull(path, "path");
    }

    @Override
    public String toString() {
      return "keyfile " + path;
    }
  }

  /**
   * {@code none} or {@code -} (or no third field): crypttab would prompt for a passphrase. A daemon
   * cannot prompt, so the entry waits until someone runs {@code klcrypt open NAME}.
   */
  record Prompt() implements KeySource {
    @Override
    public String toString() {
      return "prompt";
    }
  }

  /**
   * The {@code ephemeral} option: at every start the image gets a fresh LUKS2 header with a random
   * volume key and a random passphrase that is wiped right after the open; nothing that could
   * unlock it is stored, so the data does not outlive the daemon (swap, scratch).
   */
  record Ephemeral() implements KeySource {
    @Override
    public String toString() {
      return "ephemeral";
    }
  }
}
