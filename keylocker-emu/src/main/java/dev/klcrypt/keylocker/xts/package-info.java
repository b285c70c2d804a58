/**
 * The AES-KL XTS library: {@code aes-xts-plain64} (IEEE 1619 XTS-AES-128 and XTS-AES-256) over a
 * pair of Key Locker handles, following the instruction sequence of the kernel's {@code aeskl-xts}
 * driver. XTS gives confidentiality only: it has no integrity, so a modified ciphertext sector
 * decrypts to garbage without any error.
 */
package dev.klcrypt.keylocker.xts;
