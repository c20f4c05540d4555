/// A participant's id on the wire (the voice packet's sender id). `VoicePeers` derives it from the client id.
public typealias PeerID = UInt32
