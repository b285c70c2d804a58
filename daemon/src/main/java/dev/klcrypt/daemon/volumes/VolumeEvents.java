package dev.klcrypt.daemon.volumes;

/** Observes volumes coming and going (seam for metrics, sd_notify status and the volume table). */
public interface VolumeEvents {
  VolumeEvents NONE = new VolumeEvents() {};

  default void opened(OpenVolume volume) {}

  default void closed(OpenVolume volume) {}
}
