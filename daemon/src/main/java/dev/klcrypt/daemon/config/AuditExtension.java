package dev.klcrypt.daemon.config;

import dev.klcrypt.daemon.DaemonContext;
import dev.klcrypt.daemon.DaemonExtension;
import dev.klcrypt.daemon.volumes.OpenVolume;
import dev.klcrypt.daemon.volumes.VolumeEvents;

/**
 * Audits every volume opened or closed, whoever asked (the table, {@code klcrypt open}/{@code
 * close}, shutdown), by listening to the daemon's open volumes: one {@code event=open} and one
 * {@code event=close} line per volume.
 */
public final class AuditExtension implements DaemonExtension {
  @Override
  public void started(DaemonContext context) {
    context
        .volumes()
        .addListener(
            new VolumeEvents() {
              @Override
              public void opened(OpenVolume volume) {
                AuditLog.opened(volume.name(), volume.image(), volume.info().readOnly());
              }

              @Override
              public void closed(OpenVolume volume) {
                AuditLog.closed(volume.name());
              }
            });
  }
}
