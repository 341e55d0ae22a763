// End-to-end suites run real processes and a real broker: minutes, not the unit default of 5 s.
jest.setTimeout(300_000);
