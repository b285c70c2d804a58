package dev.klcrypt.daemon.config;

import java.util.Locale;
import java.util.Optional;

/**
 * Where the emulated CPU's LOADIWKEY takes the wrapping key (IWKey) from at boot and at every
 * reboot.
 */
public enum IwKeySource {
  /** A key from the JVM's SecureRandom, loaded like software LOADIWKEY with a chosen key. */
  SOFTWARE,
  /**
   * The emulated CPU's own random source (LOADIWKEY with KeySource=1), so software never sees the
   * IWKey.
   */
  HARDWARE_RANDOM;

  /** The spelling in the config file and in metrics: {@code software}, {@code hardware-random}. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  static Optional<IwKeySource> fromConfigName(String value) {
    for (IwKeySource source : values()) {
      if (source.configName().equals(value)) {
        return Optional.of(source);
      }
    }
    return Optional.empty();
  }
}
