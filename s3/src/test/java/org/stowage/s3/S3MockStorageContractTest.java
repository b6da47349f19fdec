package org.stowage.s3;

/**
 * The contract suite against S3Storage on Adobe S3Mock 5.2.0 ({@link S3MockServer}), a second S3
 * server independent of s3proxy, each test in a bucket of its own, with S3Mock's known deviations
 * as {@linkplain ExpectedRefusals expected refusals}. {@code S3ServerProbeTest.s3mock} checks that
 * the probe finds the same deviations; docs/s3.md lists them.
 */
class S3MockStorageContractTest extends S3StorageContractTest {
  static final String NON_ATOMIC_CREATE =
      "S5: S3Mock's conditional creates are not atomic: several concurrent CREATEs of one key win";
  static final String UTF16_LISTINGS =
      "I2: S3Mock lists keys in UTF-16 order; iterContents refuses listings out of UTF-8 order";

  static final ExpectedRefusals REFUSALS =
      ExpectedRefusals.none("S3Mock " + S3MockServer.VERSION)
          .refuse("StoringChecks.createRace", NON_ATOMIC_CREATE)
          .refuse("ThreadChecks.sharedRoot", NON_ATOMIC_CREATE)
          .refuse("ThreadChecks.linearizable", NON_ATOMIC_CREATE)
          .refuse("ThreadChecks.stress", NON_ATOMIC_CREATE)
          .refuse("ListingChecks.order", UTF16_LISTINGS)
          // Property tests that take half a minute to find the same refusal: not run.
          .skip("ListingChecks.listingProperty", UTF16_LISTINGS)
          // I7 too: its listings come out of order, which iterContents refuses (the bound sent as
          // StartAfter is cut before U+D800, so the server itself skips nothing it should list).
          .skip("ListingChecks.startAfterProperty", UTF16_LISTINGS)
          // I8 lists the I7 property's trees after its bounds, so the same.
          .skip("ListingChecks.objectsProperty", UTF16_LISTINGS)
          .skip("Model.sequences", UTF16_LISTINGS)
          .skip("StoringChecks.atomicReplace",
              "S2/R1: a GET while S3Mock replaces the object can stall: fewer bytes than its"
                  + " Content-Length, the connection left open until the client's timeout (60 s)");

  @Override
  public ExpectedRefusals expectedRefusals() {
    return REFUSALS;
  }

  @Override
  S3Endpoint sharedEndpoint() {
    return S3MockServer.shared().endpoint(S3TestEnvironment.SHARED_BUCKET);
  }
}
