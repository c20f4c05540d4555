-- Wireshark dissector for Concord's UDP wire format (version 1).
--
-- Every Concord datagram begins version(1) ‖ type(1) ‖ flags(1); the type says the rest:
--   1 voice         Sources/Concord/Wire/VoicePacket.swift
--   2 room control  Sources/Concord/Room/RoomMessage.swift (discover, heartbeat, gossip, leave, announce)
--   3 room text     Sources/Concord/Room/RoomMessage.swift (text, text ack, history request, history)
--   4 security      Sources/Concord/Security/SecureWire.swift (sealed broadcast, initiation, response, confirm)
--   5 receiver report Sources/Concord/Wire/ReceiverReport.swift (loss, jitter, playout, round-trip echo)
-- A sealed datagram (flags 0x80) keeps its header in clear and carries key id, counter,
-- ciphertext and Poly1305 tag (Sources/Concord/Security/SealedFormat.swift); the ciphertext is
-- shown as bytes, as nothing here holds the keys.
--
-- Use: wireshark -X lua_script:tools/wireshark/concord.lua capture.pcap
--      tshark -X lua_script:tools/wireshark/concord.lua -r capture.pcap -Y concord
-- or copy this file into Wireshark's personal plugins folder (Help > About > Folders).
-- Registered on UDP ports 7400 (`concord join`'s default) and 9993 (concord-bench's), and as a UDP
-- heuristic for any other port (Decode As… UDP port → CONCORD when another heuristic wins).

local concord = Proto("concord", "Concord")

local packet_types = { [1] = "Voice", [2] = "Room control", [3] = "Room text", [4] = "Security", [5] = "Receiver report" }
local control_kinds = { [1] = "Discover", [2] = "Heartbeat", [3] = "Gossip", [4] = "Leave", [5] = "Announce" }
local text_kinds = { [1] = "Text", [2] = "Text ack", [3] = "History request", [4] = "History" }
local security_kinds = { [1] = "Sealed broadcast", [2] = "Handshake initiation", [3] = "Handshake response", [4] = "Handshake confirm" }
local statuses = { [0] = "alive", [1] = "suspect", [2] = "dead", [3] = "left" }
local families = { [4] = "IPv4", [6] = "IPv6" }

local f = {
    version = ProtoField.uint8("concord.version", "Version"),
    type = ProtoField.uint8("concord.type", "Packet type", base.DEC, packet_types),
    flags = ProtoField.uint8("concord.flags", "Flags", base.HEX),
    sealed = ProtoField.bool("concord.flags.sealed", "Sealed", 8, nil, 0x80),
    fec = ProtoField.bool("concord.flags.fec", "FEC present", 8, nil, 0x01),
    dtx = ProtoField.bool("concord.flags.dtx", "DTX (silence follows)", 8, nil, 0x02),
    talkspurt = ProtoField.bool("concord.flags.talkspurt", "Start of talk-spurt", 8, nil, 0x04),

    redundant_count = ProtoField.uint8("concord.voice.redundant_blocks", "Redundant blocks", base.DEC, nil, 0x0F),
    bundled_count = ProtoField.uint8("concord.voice.bundled_frames", "Bundled frames", base.DEC, nil, 0xF0),
    sender_id = ProtoField.uint32("concord.voice.sender", "Sender id", base.HEX),
    sequence = ProtoField.uint16("concord.voice.seq", "Sequence number"),
    timestamp = ProtoField.uint32("concord.voice.timestamp", "Timestamp (48 kHz samples)"),
    red_offset = ProtoField.uint16("concord.voice.red.offset", "Redundant block timestamp offset"),
    red_length = ProtoField.uint16("concord.voice.red.length", "Redundant block length"),
    red_frame = ProtoField.bytes("concord.voice.red.frame", "Redundant Opus frame"),
    bundled_frame = ProtoField.bytes("concord.voice.bundled.frame", "Bundled Opus frame (this packet's)"),
    opus = ProtoField.bytes("concord.voice.opus", "Opus frame"),

    control_kind = ProtoField.uint8("concord.room.kind", "Kind", base.DEC, control_kinds),
    text_kind = ProtoField.uint8("concord.text.kind", "Kind", base.DEC, text_kinds),
    room_id = ProtoField.string("concord.room.id", "Room id"),
    room_sender = ProtoField.string("concord.room.sender", "Sender client id"),
    incarnation = ProtoField.uint32("concord.room.incarnation", "Sender incarnation"),

    member = ProtoField.none("concord.member", "Member record"),
    member_id = ProtoField.string("concord.member.id", "Client id"),
    member_incarnation = ProtoField.uint32("concord.member.incarnation", "Incarnation"),
    member_heartbeat = ProtoField.uint32("concord.member.heartbeat", "Heartbeat"),
    member_status = ProtoField.uint8("concord.member.status", "Status", base.DEC, statuses),
    member_name = ProtoField.string("concord.member.name", "Display name"),
    member_family = ProtoField.uint8("concord.member.family", "Address family", base.DEC, families),
    member_ipv4 = ProtoField.ipv4("concord.member.ipv4", "Address"),
    member_ipv6 = ProtoField.ipv6("concord.member.ipv6", "Address"),
    member_port = ProtoField.uint16("concord.member.port", "Port"),
    digest = ProtoField.uint64("concord.room.digest", "Member-list digest", base.HEX),
    member_count = ProtoField.uint16("concord.room.member_count", "Member count"),
    gossip_flags = ProtoField.uint8("concord.gossip.flags", "Gossip flags", base.HEX),
    gossip_reply = ProtoField.bool("concord.gossip.reply_requested", "Reply requested", 8, nil, 0x01),
    gossip_welcome = ProtoField.bool("concord.gossip.welcome", "Welcome", 8, nil, 0x02),
    gossip_count = ProtoField.uint8("concord.gossip.count", "Entries"),
    heard_ago = ProtoField.uint16("concord.gossip.heard_ms_ago", "Heard directly (ms ago, 65535: not known)"),

    text_stream = ProtoField.uint32("concord.text.stream", "Stream"),
    text_sequence = ProtoField.uint32("concord.text.seq", "Sequence"),
    text_base = ProtoField.uint32("concord.text.base", "Base"),
    text_sent_at = ProtoField.int64("concord.text.sent_at", "Sent at (ns, sender's clock)"),
    text = ProtoField.string("concord.text.text", "Text"),
    text_cumulative = ProtoField.uint32("concord.text.cumulative", "Cumulative sequence"),
    history_count = ProtoField.uint8("concord.history.count", "Count"),
    history_fingerprint = ProtoField.uint64("concord.history.fingerprint", "Held message fingerprint", base.HEX),
    history_chunk = ProtoField.uint8("concord.history.chunk", "Chunk index"),
    history_chunks = ProtoField.uint8("concord.history.chunks", "Chunk count"),
    history_item = ProtoField.none("concord.history.item", "History item"),
    history_origin = ProtoField.string("concord.history.origin", "Origin client id"),

    security_kind = ProtoField.uint8("concord.security.kind", "Kind", base.DEC, security_kinds),
    salt = ProtoField.bytes("concord.security.salt", "Session salt"),
    sealed_part = ProtoField.none("concord.sealed", "Sealed part"),
    key_id = ProtoField.uint32("concord.sealed.key_id", "Key id", base.HEX),
    room_tag = ProtoField.uint16("concord.sealed.room_tag", "Room tag", base.HEX),
    generation = ProtoField.uint16("concord.sealed.generation", "Key generation"),
    counter = ProtoField.uint64("concord.sealed.counter", "Counter (nonce)"),
    ciphertext = ProtoField.bytes("concord.sealed.ciphertext", "Ciphertext"),
    auth_tag = ProtoField.bytes("concord.sealed.tag", "Poly1305 tag"),
    mac = ProtoField.bytes("concord.security.mac", "Room mac (HMAC-SHA256, 16 bytes)"),

    report_stream = ProtoField.bool("concord.flags.report_stream", "Stream block present", 8, nil, 0x01),
    report_echo = ProtoField.bool("concord.flags.report_echo", "Echo present", 8, nil, 0x02),
    reporter = ProtoField.uint32("concord.report.reporter", "Reporter (listener's voice id)", base.HEX),
    addressee = ProtoField.uint32("concord.report.addressee", "Addressee (talker's voice id)", base.HEX),
    report_sent_at = ProtoField.uint32("concord.report.sent_at", "Sent at (1/65536 s, reporter's clock)"),
    echo_sent_at = ProtoField.uint32("concord.report.echo", "Echoed sent at (1/65536 s, addressee's clock)"),
    echo_delay = ProtoField.uint32("concord.report.echo_delay", "Echo delay (1/65536 s)"),
    report_highest = ProtoField.uint32("concord.report.highest_seq", "Extended highest sequence number"),
    report_cumulative = ProtoField.uint32("concord.report.cumulative_lost", "Cumulative packets lost"),
    report_fraction_lost = ProtoField.uint8("concord.report.fraction_lost", "Fraction lost (/256)"),
    report_fraction_discarded = ProtoField.uint8("concord.report.fraction_discarded", "Fraction discarded late (/256)"),
    report_burst_density = ProtoField.uint8("concord.report.burst_density", "Burst density (/256)"),
    report_gap_density = ProtoField.uint8("concord.report.gap_density", "Gap density (/256)"),
    report_burst_ms = ProtoField.uint16("concord.report.burst_ms", "Mean burst duration (ms)"),
    report_gap_ms = ProtoField.uint16("concord.report.gap_ms", "Mean gap duration (ms)"),
    report_jitter = ProtoField.uint32("concord.report.jitter", "Interarrival jitter (48 kHz samples)"),
    report_playout = ProtoField.uint16("concord.report.playout_ms", "Mean playout delay (ms)"),
    report_target = ProtoField.uint16("concord.report.target_ms", "Target delay (ms)"),
    report_concealed = ProtoField.uint16("concord.report.concealed", "Concealed share (/65536)"),
    report_queueing = ProtoField.uint16("concord.report.queueing_ms", "Queueing delay, one way (ms; 65535: unknown)"),
}
local field_list = {}
for _, field in pairs(f) do table.insert(field_list, field) end
concord.fields = field_list

local malformed = ProtoExpert.new("concord.malformed", "Malformed Concord datagram", expert.group.MALFORMED, expert.severity.ERROR)
concord.experts = { malformed }

-- A reader over the datagram: every read checks the length, so a short or garbled datagram
-- ends its dissection with an expert note instead of a Lua error.
local Reader = {}
Reader.__index = Reader
local function reader(buffer, tree, offset)
    return setmetatable({ buffer = buffer, tree = tree, offset = offset or 0, ok = true }, Reader)
end
function Reader:remaining() return self.buffer:len() - self.offset end
function Reader:has(n)
    if self.ok and self:remaining() >= n then return true end
    if self.ok then
        self.tree:add_proto_expert_info(malformed, "truncated at byte " .. self.offset)
        self.ok = false
    end
    return false
end
function Reader:add(field, n, tree)
    if not self:has(n) then return nil end
    local range = self.buffer(self.offset, n)
    self.offset = self.offset + n
    ;(tree or self.tree):add(field, range)
    return range
end
-- UTF-8 text (string fields are added as ASCII unless given their value).
function Reader:text(field, n, tree)
    if not self:has(n) then return nil end
    local range = self.buffer(self.offset, n)
    self.offset = self.offset + n
    local value = n > 0 and range:string(ENC_UTF_8) or ""
    ;(tree or self.tree):add(field, range, value)
    return value
end
function Reader:uint(field, n, tree)
    local range = self:add(field, n, tree)
    if range == nil then return nil end
    return range:uint()
end
function Reader:identifier(field, tree)
    if not self:has(1) then return nil end
    local length = self.buffer(self.offset, 1):uint()
    self.offset = self.offset + 1
    if length == 0 then
        ;(tree or self.tree):add(field, self.buffer(self.offset - 1, 1), "")
        return ""
    end
    return self:text(field, length, tree)
end

-- key id ‖ counter ‖ ciphertext ‖ tag, with `trailer` bytes (the bootstrap mac) after the tag.
local function sealed_part(r, trailer)
    if not r:has(12 + 16 + trailer) then return end
    local sealed = r.tree:add(f.sealed_part, r.buffer(r.offset))
    local key_id = sealed:add(f.key_id, r.buffer(r.offset, 4))
    key_id:add(f.room_tag, r.buffer(r.offset, 2))
    key_id:add(f.generation, r.buffer(r.offset + 2, 2))
    sealed:add(f.counter, r.buffer(r.offset + 4, 8))
    r.offset = r.offset + 12
    local length = r:remaining() - 16 - trailer
    if length > 0 then sealed:add(f.ciphertext, r.buffer(r.offset, length)) end
    r.offset = r.offset + length
    sealed:add(f.auth_tag, r.buffer(r.offset, 16))
    r.offset = r.offset + 16
    if trailer > 0 then sealed:add(f.mac, r.buffer(r.offset, trailer)) end
    r.offset = r.offset + trailer
end

local function member_record(r, tree)
    local start = r.offset
    if not r:has(1) then return nil end
    local item = tree:add(f.member, r.buffer(r.offset, 1))
    local id = r:identifier(f.member_id, item)
    r:add(f.member_incarnation, 4, item)
    r:add(f.member_heartbeat, 4, item)
    local status = r:uint(f.member_status, 1, item)
    r:identifier(f.member_name, item)
    local family = r:uint(f.member_family, 1, item)
    if family == 4 then
        r:add(f.member_ipv4, 4, item)
    elseif family == 6 then
        r:add(f.member_ipv6, 16, item)
    elseif family ~= nil then
        item:add_proto_expert_info(malformed, "address family " .. family .. " is neither 4 nor 6")
        r.ok = false
    end
    r:add(f.member_port, 2, item)
    if r.ok then item:set_len(r.offset - start) end
    item:append_text(": " .. tostring(id) .. " (" .. tostring(statuses[status] or status) .. ")")
    return id
end

local function voice(r, flags, pinfo)
    -- One byte, two counts: redundant copies in the low nibble, bundled frames in the high one.
    local counts = nil
    if r:has(1) then
        local range = r.buffer(r.offset, 1)
        r.tree:add(f.redundant_count, range)
        r.tree:add(f.bundled_count, range)
        r.offset = r.offset + 1
        counts = range:uint()
    end
    local count = counts and bit.band(counts, 0x0F) or 0
    local bundled = counts and bit.rshift(counts, 4) or 0
    r:add(f.sender_id, 4)
    local sequence = r:uint(f.sequence, 2)
    local timestamp = r:uint(f.timestamp, 4)
    if not r.ok then return "Voice (truncated)" end
    local info = "Voice seq=" .. sequence .. " ts=" .. timestamp
    if bit.band(flags, 0x80) ~= 0 then
        sealed_part(r, 0)
        return info .. " (sealed)"
    end
    local lengths = {}
    for i = 1, count + bundled do
        r:add(f.red_offset, 2)
        lengths[i] = r:uint(f.red_length, 2)
    end
    for i = 1, count + bundled do
        if lengths[i] ~= nil and lengths[i] > 0 then r:add(i <= count and f.red_frame or f.bundled_frame, lengths[i]) end
    end
    if r.ok and r:remaining() > 0 then r:add(f.opus, r:remaining()) end
    if count > 0 then info = info .. " red=" .. count end
    if bundled > 0 then info = info .. " frames=" .. (bundled + 1) end
    return info
end

local function room(r, packet_type, flags)
    local kinds = packet_type == 2 and control_kinds or text_kinds
    local kind = r:uint(packet_type == 2 and f.control_kind or f.text_kind, 1)
    local room_id = r:identifier(f.room_id)
    local sender = r:identifier(f.room_sender)
    r:add(f.incarnation, 4)
    if not r.ok then return "Room (truncated)" end
    local info = tostring(kinds[kind] or ("kind " .. kind)) .. " room=" .. room_id .. " from=" .. sender
    if bit.band(flags, 0x80) ~= 0 then
        sealed_part(r, 0)
        return info .. " (sealed)"
    end
    local t = r.tree
    if packet_type == 2 then
        if kind == 1 or kind == 4 then
            member_record(r, t)
        elseif kind == 2 then
            member_record(r, t)
            r:add(f.digest, 8)
        elseif kind == 3 then
            if r:has(1) then
                local gflags = r.buffer(r.offset, 1)
                local item = t:add(f.gossip_flags, gflags)
                item:add(f.gossip_reply, gflags)
                item:add(f.gossip_welcome, gflags)
                r.offset = r.offset + 1
            end
            local n = r:uint(f.gossip_count, 1) or 0
            for _ = 1, n do
                if not r.ok then break end
                member_record(r, t)
                r:add(f.heard_ago, 2)
            end
            info = info .. " entries=" .. n
        elseif kind == 5 then
            member_record(r, t)
            r:add(f.member_count, 2)
            r:add(f.digest, 8)
        end
    else
        if kind == 1 then
            r:add(f.text_stream, 4)
            local sequence = r:uint(f.text_sequence, 4)
            r:add(f.text_base, 4)
            r:add(f.text_sent_at, 8)
            local length = r:has(2) and r.buffer(r.offset, 2):uint() or 0
            r.offset = r.offset + 2
            local text = r:text(f.text, length)
            if text ~= nil then info = info .. " seq=" .. sequence .. " \"" .. text .. "\"" end
        elseif kind == 2 then
            r:add(f.text_stream, 4)
            r:add(f.text_cumulative, 4)
        elseif kind == 3 then
            local n = r:uint(f.history_count, 1) or 0
            for _ = 1, n do r:add(f.history_fingerprint, 8) end
        elseif kind == 4 then
            r:add(f.history_chunk, 1)
            r:add(f.history_chunks, 1)
            local n = r:uint(f.history_count, 1) or 0
            for _ = 1, n do
                if not r:has(1) then break end
                local item = t:add(f.history_item, r.buffer(r.offset, 1))
                r:identifier(f.history_origin, item)
                r:add(f.text_stream, 4, item)
                r:add(f.text_sequence, 4, item)
                r:add(f.text_sent_at, 8, item)
                local length = r:has(2) and r.buffer(r.offset, 2):uint() or 0
                r.offset = r.offset + 2
                r:text(f.text, length, item)
            end
        end
    end
    if r.ok and r:remaining() > 0 then
        t:add_proto_expert_info(malformed, r:remaining() .. " trailing bytes")
    end
    return info
end

local function security(r)
    local kind = r:uint(f.security_kind, 1)
    if kind == nil then return "Security (truncated)" end
    local name = security_kinds[kind] or ("kind " .. kind)
    if kind == 4 then
        sealed_part(r, 0)
    else
        r:add(f.salt, 16)
        sealed_part(r, 16)
    end
    return name .. " (sealed)"
end

local function receiver_report(r, flags)
    r:add(f.reporter, 4)
    r:add(f.addressee, 4)
    if not r.ok then return "Receiver report (truncated)" end
    if bit.band(flags, 0x80) ~= 0 then
        sealed_part(r, 0)
        return "Receiver report (sealed)"
    end
    r:add(f.report_sent_at, 4)
    r:add(f.echo_sent_at, 4)
    r:add(f.echo_delay, 4)
    local info = "Receiver report"
    if bit.band(flags, 0x01) ~= 0 then
        r:add(f.report_highest, 4)
        r:add(f.report_cumulative, 4)
        local lost = r:uint(f.report_fraction_lost, 1)
        r:add(f.report_fraction_discarded, 1)
        r:add(f.report_burst_density, 1)
        r:add(f.report_gap_density, 1)
        r:add(f.report_burst_ms, 2)
        r:add(f.report_gap_ms, 2)
        r:add(f.report_jitter, 4)
        r:add(f.report_playout, 2)
        r:add(f.report_target, 2)
        r:add(f.report_concealed, 2)
        r:add(f.report_queueing, 2)
        if lost ~= nil then info = info .. string.format(" lost=%.1f%%", lost * 100 / 256) end
    end
    if r.ok and r:remaining() > 0 then
        r.tree:add_proto_expert_info(malformed, r:remaining() .. " trailing bytes")
    end
    return info
end

-- Whether the first bytes look like a Concord datagram: version 1, a known type, flags this
-- type defines.
local function looks_like_concord(buffer)
    if buffer:len() < 4 then return false end
    local version, packet_type, flags = buffer(0, 1):uint(), buffer(1, 1):uint(), buffer(2, 1):uint()
    if version ~= 1 then return false end
    if packet_type == 1 then
        local counts = buffer(3, 1):uint()
        return bit.band(flags, 0x78) == 0 and buffer:len() >= 14 and bit.band(counts, 0x0F) <= 8 and bit.rshift(counts, 4) <= 5
    end
    if packet_type == 2 or packet_type == 3 then return bit.band(flags, 0x7F) == 0 end
    if packet_type == 4 then return flags == 0x80 and buffer(3, 1):uint() >= 1 and buffer(3, 1):uint() <= 4 end
    if packet_type == 5 then return bit.band(flags, 0x7C) == 0 and buffer(3, 1):uint() == 0 end
    return false
end

local function dissect(buffer, pinfo, tree)
    if not looks_like_concord(buffer) then return 0 end
    pinfo.cols.protocol = "Concord"
    local subtree = tree:add(concord, buffer(), "Concord")
    local packet_type, flags = buffer(1, 1):uint(), buffer(2, 1):uint()
    subtree:add(f.version, buffer(0, 1))
    subtree:add(f.type, buffer(1, 1))
    local flag_item = subtree:add(f.flags, buffer(2, 1))
    if packet_type == 1 then
        flag_item:add(f.fec, buffer(2, 1))
        flag_item:add(f.dtx, buffer(2, 1))
        flag_item:add(f.talkspurt, buffer(2, 1))
    end
    if packet_type == 5 then
        flag_item:add(f.report_stream, buffer(2, 1))
        flag_item:add(f.report_echo, buffer(2, 1))
    end
    flag_item:add(f.sealed, buffer(2, 1))
    -- A receiver report's byte 3 is reserved (0); every other type's first field starts there.
    local r = reader(buffer, subtree, packet_type == 5 and 4 or 3)
    local info
    if packet_type == 1 then
        info = voice(r, flags, pinfo)
    elseif packet_type == 4 then
        info = security(r)
    elseif packet_type == 5 then
        info = receiver_report(r, flags)
    else
        info = room(r, packet_type, flags)
    end
    pinfo.cols.info = info
    subtree:append_text(", " .. info)
    return buffer:len()
end

-- Calls `dissect` itself: through `concord.dissector` (a dissector handle once assigned) Wireshark
-- would count the protocol twice in the frame.
local function heuristic(buffer, pinfo, tree)
    if not looks_like_concord(buffer) then return false end
    dissect(buffer, pinfo, tree)
    return true
end

concord.dissector = dissect

-- 7400: `concord join`'s default port; 9993: the bench's (where ZeroTier's own traffic, which is
-- not Concord, falls through to other dissectors).
DissectorTable.get("udp.port"):add(7400, concord)
DissectorTable.get("udp.port"):add(9993, concord)
concord:register_heuristic("udp", heuristic)
