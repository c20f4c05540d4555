// Part of SimNet's API, in targets of their own so that the engine can share them without
// depending on the simulator (see each type).
@_exported import IPAddress
@_exported import SeededRandom
