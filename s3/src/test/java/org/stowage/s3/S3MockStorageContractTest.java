package org.stowage.s3;

/**
 * The contract suite against S3Storage on Adobe S3Mock 5.2.0 ({@link S3MockServer}), a second S3
 * server independent of s3proxy, each test in a bucket of its own.
 */
class S3MockStorageContractTest extends S3StorageContractTest {
  @Override
  S3Endpoint sharedEndpoint() {
    return S3MockServer.shared().endpoint(S3TestEnvironment.SHARED_BUCKET);
  }
}
