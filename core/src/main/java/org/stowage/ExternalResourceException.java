package org.stowage;

import java.util.Optional;

/**
 * The root of Stowage's unchecked, typed errors (contract rule T2).
 *
 * <p>Every failure of an {@link ExternalStorage} operation reaches the caller as this type or one of
 * its subclasses:
 *
 * <ul>
 *   <li>{@link MissingExternalResourceException}: nothing is stored at the location;
 *   <li>{@link ChangedExternalResourceException}: the stored bytes are not the ones expected;
 *   <li>{@link ExistingExternalResourceException}: a write policy refused to replace an object;
 *   <li>{@link InvalidLocationException}: the location breaks rule L2 and no backend code ran.
 * </ul>
 *
 * <p>Any other failure (an I/O error, a full disk, an unreachable server, a bound exceeded) is an
 * instance of this class itself, with the original exception as its {@linkplain #getCause() cause}.
 * Messages name the storage and the location, and never carry a credential.
 */
public class ExternalResourceException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * The location the failure concerns, or {@code null} if it concerns no single one; part of the
   * serialized form.
   */
  private final String location;

  /**
   * Creates an exception about one location.
   *
   * @param message what went wrong; should already name the storage and the location
   * @param location the location concerned, or {@code null} if the failure concerns no single one
   * @param cause the underlying failure, or {@code null}
   */
  public ExternalResourceException(String message, String location, Throwable cause) {
    super(message, cause);
    this.location = location;
  }

  /**
   * Creates an exception that concerns no single location (a whole store, a listing, a
   * configuration).
   *
   * @param message what went wrong; should already name the storage
   * @param cause the underlying failure, or {@code null}
   */
  public ExternalResourceException(String message, Throwable cause) {
    this(message, null, cause);
  }

  /**
   * The location the failure concerns, if it concerns one.
   *
   * @return the location given at construction, or empty if it was {@code null}
   */
  public Optional<String> location() {
    return Optional.ofNullable(location);
  }
}
