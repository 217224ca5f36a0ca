// The conformance suite lives in its own entry so that vitest is only loaded by tests.
export {
  type ConformanceContext,
  type DescribeDeviceOptions,
  type DeviceUnderTest,
  describeDevice,
} from './describe-device.ts';
