import CallEvents
import Foundation
import NIOCore
import SeedableRandom
import Testing

@Suite("CallEvent decoding")
struct CallEventDecodingTests {
    /// The error decoding `text` throws (the test fails if it decodes).
    func decodingError(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> CallEventDecodingError? {
        #expect(throws: CallEventDecodingError.self, sourceLocation: sourceLocation) {
            try CallEvent.decode(text.utf8)
        }
    }

    // MARK: Round trips

    @Test("encode then decode gives the same event", arguments: [Fixtures.fullEvent, Fixtures.minimalEvent])
    func roundTrip(event: CallEvent) throws {
        #expect(try CallEvent.decode(event.encoded()) == event)
        #expect(try CallEvent.decode(Array(Fixtures.string(event).utf8)) == event)
        #expect(try CallEvent.decode(Data(Fixtures.string(event).utf8)) == event)
    }

    @Test("the contract's example decodes field by field")
    func decodesFields() throws {
        let event = try CallEvent.decode(Fixtures.fullEventJSON.utf8)
        #expect(event.id == "13814428-b49f-893c-aa08-64488252fe67")
        #expect(event.source == "callbridge/ingest/twilio")
        #expect(event.type == .ended)
        #expect(event.time == Fixtures.endedAt)
        #expect(event.subject == "CA5f2c")
        #expect(event.data == Fixtures.fullDetails)
    }

    @Test("strings that need escaping survive a round trip")
    func escapingRoundTrip() throws {
        let strings = [
            "", "\"", "\\", "\u{0}", "line\nbreak", "tab\there", "\u{1F}\u{7F}", "é", "日本語", "😀🇫🇷", "\u{2028}\u{2029}",
            "\\u0041", "/</script>",
        ]
        for string in strings {
            let details = CallDetails(
                // clientId is a ClientID, so no string that needs escaping can be one.
                callId: "c" + string, clientId: "k", provider: "p" + string,
                direction: string, from: string, to: string, callerHash: string, endReason: string
            )
            let event = CallEvent(
                id: "i" + string, source: "s" + string, type: .ended, time: Fixtures.endedAt, data: details)
            #expect(try CallEvent.decode(event.encoded()) == event, "string: \(string.debugDescription)")
        }
    }

    @Test("random Unicode strings round-trip and agree with JSONSerialization")
    func randomStrings() throws {
        var generator = SplitMix64(seed: 42)
        for _ in 0..<300 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int(generator.next() % 24) {
                let pick = generator.next() % 4
                let value: UInt32 =
                    switch pick {
                    case 0: UInt32(generator.next() % 0x80)  // ASCII including controls, quote, backslash
                    case 1: UInt32(generator.next() % 0x800)
                    case 2: UInt32(generator.next() % 0xD800)
                    default: 0x10000 + UInt32(generator.next() % 0x100000)
                    }
                scalars.append(Unicode.Scalar(value)!)
            }
            let string = String(scalars)
            var details = CallDetails(callId: "c", clientId: "k", provider: "p")
            details.endReason = string
            let event = CallEvent(
                id: string.isEmpty ? "x" : string, source: "s", type: .started, time: Fixtures.startedAt, data: details)
            #expect(try CallEvent.decode(event.encoded()) == event)
            let object = try Fixtures.foundationObject(event)
            #expect((object["data"] as? [String: Any])?["endReason"] as? String == string)
        }
    }

    // MARK: Accepted variations

    @Test("unknown fields are ignored, at the top level and in data")
    func ignoresUnknownFields() throws {
        let text = #"""
            {"specversion":"1.0","id":"e1","source":"callbridge/ingest/vapi","type":"call.started",
             "time":"2026-01-27T16:12:11Z","traceparent":"00-abc-def-01","partitionkey":7,
             "extension":{"nested":[1,2.5e3,-0.1,true,false,null,{"deep":["x",{"y":{}}]}],"empty":[]},
             "data":{"callId":"call-1","clientId":"acme","provider":"vapi","assistantId":"a1",
                     "cost":0.42,"tags":["x","y"],"meta":{"k":null},"flag":true}}
            """#
        let event = try CallEvent.decode(text.utf8)
        #expect(event == Fixtures.minimalEvent)
    }

    @Test(
        "times with or without fractions, with Z or an offset",
        arguments: [
            ("2026-01-27T16:13:00Z", 1_769_530_380.0),
            ("2026-01-27T16:13:00.000Z", 1_769_530_380.0),
            ("2026-01-27T16:13:00.5Z", 1_769_530_380.5),
            ("2026-01-27T16:13:00.123456789Z", 1_769_530_380.123),
            ("2026-01-27T16:13:00.1235Z", 1_769_530_380.124),
            ("2026-01-27T16:12:59.9999Z", 1_769_530_380.0),
            ("2026-01-27T18:13:00+02:00", 1_769_530_380.0),
            ("2026-01-27T11:13:00.250-05:00", 1_769_530_380.25),
            ("2026-01-28T01:43:00+09:30", 1_769_530_380.0),
            ("2026-01-27T16:13:00+00:00", 1_769_530_380.0),
            ("2026-01-27T16:13:00-00:00", 1_769_530_380.0),
            ("2026-01-27t16:13:00z", 1_769_530_380.0),
            ("2024-02-29T00:00:00Z", 1_709_164_800.0),
            ("1969-12-31T23:59:59.999Z", -0.001),
            ("2016-12-31T23:59:60Z", 1_483_228_800.0),
        ]
    )
    func acceptsTimes(text: String, seconds: Double) throws {
        let json = Fixtures.document(replacing: #""time":"2026-01-27T16:13:00.000Z""#, with: #""time":"\#(text)""#)
        let event = try CallEvent.decode(json.utf8)
        #expect(event.time == Date(timeIntervalSince1970: seconds))
        // The same parser serves data's times.
        let dataJSON = Fixtures.document(
            replacing: #""startedAt":"2026-01-27T16:12:11.000Z""#, with: #""startedAt":"\#(text)""#)
        #expect(try CallEvent.decode(dataJSON.utf8).data.startedAt == Date(timeIntervalSince1970: seconds))
    }

    @Test("null optional fields are absent; subject and datacontenttype are optional")
    func optionalFields() throws {
        let text = #"""
            { "data" : { "provider":"vapi", "clientId":"acme", "callId":"call-1", "direction":null, "from":null,
              "to":null, "callerHash":null, "startedAt":null, "endedAt":null, "durationSeconds":null, "endReason":null },
              "time":"2026-01-27T16:12:11.000Z", "type":"call.started", "source":"callbridge/ingest/vapi",
              "id":"e1", "specversion":"1.0", "subject":null }
            """#
        #expect(try CallEvent.decode(text.utf8) == Fixtures.minimalEvent)
    }

    @Test("datacontenttype accepts application/json with parameters and any case")
    func contentTypeVariants() throws {
        for value in [
            "application/json", "application/json; charset=utf-8", "Application/JSON", " application/json ;x=y",
        ] {
            let text = Fixtures.document(
                replacing: #""datacontenttype":"application/json""#, with: #""datacontenttype":"\#(value)""#)
            #expect(try CallEvent.decode(text.utf8) == Fixtures.fullEvent)
        }
    }

    @Test("durationSeconds written as 49.0 is accepted")
    func wholeDecimal() throws {
        let text = Fixtures.document(replacing: #""durationSeconds":49"#, with: #""durationSeconds":49.000"#)
        #expect(try CallEvent.decode(text.utf8).data.durationSeconds == 49)
    }

    @Test("JSON escapes in input are decoded")
    func inputEscapes() throws {
        let text = Fixtures.document(
            replacing: #""endReason":"completed""#,
            with: #""endReason":"caf\u00e9 \ud83d\ude00 \/ \"q\" \\ \n\t\b\f\r""#)
        #expect(try CallEvent.decode(text.utf8).data.endReason == "café 😀 / \"q\" \\ \n\t\u{8}\u{C}\r")
    }

    @Test("a ByteBuffer is decoded from its reader index")
    func byteBufferReaderIndex() throws {
        var buffer = ByteBuffer(string: "garbage")
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        buffer.writeString(Fixtures.fullEventJSON)
        #expect(try CallEvent.decode(buffer) == Fixtures.fullEvent)
    }

    // MARK: Rejections

    @Test(
        "bytes that are not JSON are rejected as such",
        arguments: [
            "", "   ", "not json", "{", "{\"id\":", "{\"id\":\"x\"", "{\"id\" \"x\"}", "{'id':'x'}",
            "{\"id\":\"x\",}", "{\"id\":01}", "{\"id\":1.}", "{\"id\":-}", "{\"id\":tru}", "{\"id\":\"a\u{1}b\"}",
            "{\"id\":\"\\x\"}", "{\"id\":\"\\ud800\"}", "{\"id\":\"\\udc00x\"}", "{\"id\":\"\\u12\"}",
            "{} {}", "{}x", "[1,]", "{\"a\":[1 2]}",
        ]
    )
    func rejectsNonJSON(text: String) throws {
        let error = try #require(decodingError(text))
        guard case .notJSON = error.reason else {
            Issue.record("expected notJSON, got \(error)")
            return
        }
        #expect(error.field == nil)
        #expect(error.description.hasPrefix("the event is not valid JSON: "))
    }

    @Test("invalid UTF-8 is rejected")
    func invalidUTF8() throws {
        var bytes = Array(#"{"specversion":"1.0","id":""#.utf8)
        bytes += [0xC3, 0x28]  // a lead byte followed by a non-continuation byte
        bytes += Array(#""}"#.utf8)
        let error = #expect(throws: CallEventDecodingError.self) { try CallEvent.decode(bytes) }
        guard case .notJSON(let detail) = error?.reason else {
            Issue.record("expected notJSON, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("UTF-8"))
    }

    @Test("a syntax error wins over a field error found earlier")
    func syntaxErrorFirst() throws {
        let error = try #require(decodingError(#"{"id":5,"type":"call.nope","#))
        guard case .notJSON = error.reason else {
            Issue.record("expected notJSON, got \(error)")
            return
        }
    }

    @Test("absurd nesting is refused without overflowing the stack")
    func deepNesting() throws {
        let text = #"{"x":"# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        let error = try #require(decodingError(text))
        #expect(error.description.contains("nesting deeper than"))
        // Moderate nesting in an unknown field is fine.
        let ok = Fixtures.document(
            replacing: #""subject":"#,
            with: #""ext":"# + String(repeating: "[", count: 50) + String(repeating: "]", count: 50) + #","subject":"#)
        #expect(try CallEvent.decode(ok.utf8) == Fixtures.fullEvent)
    }

    @Test("a document that is not an object is rejected", arguments: ["[]", "\"event\"", "42", "null", "true"])
    func notAnObject(text: String) throws {
        let error = try #require(decodingError(text))
        #expect(error.field == nil)
        guard case .wrongType(expected: "an object", _) = error.reason else {
            Issue.record("got \(error)")
            return
        }
    }

    @Test(
        "a missing required field is named",
        arguments: [
            (#""specversion":"1.0","#, "specversion"),
            (#""id":"13814428-b49f-893c-aa08-64488252fe67","#, "id"),
            (#""source":"callbridge/ingest/twilio","#, "source"),
            (#""type":"call.ended","#, "type"),
            (#""time":"2026-01-27T16:13:00.000Z","#, "time"),
            (#""callId":"CA5f2c","#, "data.callId"),
            (#""clientId":"acme","#, "data.clientId"),
            (#""provider":"twilio","#, "data.provider"),
        ]
    )
    func missingField(member: String, path: String) throws {
        let error = try #require(decodingError(Fixtures.document(replacing: member, with: "")))
        #expect(error == CallEventDecodingError(field: path, reason: .missingField))
        #expect(error.description == "missing required field \"\(path)\"")
    }

    @Test("missing data is named")
    func missingData() throws {
        let text = #"{"specversion":"1.0","id":"e","source":"s","type":"call.started","time":"2026-01-27T16:13:00Z"}"#
        #expect(decodingError(text) == CallEventDecodingError(field: "data", reason: .missingField))
    }

    @Test("specversion must be \"1.0\"")
    func wrongSpecVersion() throws {
        let error = try #require(
            decodingError(Fixtures.document(replacing: #""specversion":"1.0""#, with: #""specversion":"0.3""#)))
        #expect(error == CallEventDecodingError(field: "specversion", reason: .unsupportedSpecVersion("0.3")))
        #expect(error.description.contains("\"0.3\""))
        #expect(error.description.contains("1.0"))
        // The number 1.0 is not the string "1.0".
        let number = try #require(
            decodingError(Fixtures.document(replacing: #""specversion":"1.0""#, with: #""specversion":1.0"#)))
        #expect(
            number
                == CallEventDecodingError(
                    field: "specversion", reason: .wrongType(expected: "a string", found: "a number")))
    }

    @Test(
        "an unknown type is rejected",
        arguments: ["call.paused", "call.Started", "CALL.ENDED", "", "com.example.call.ended"])
    func unknownType(type: String) throws {
        let error = try #require(
            decodingError(Fixtures.document(replacing: #""type":"call.ended""#, with: #""type":"\#(type)""#)))
        #expect(error == CallEventDecodingError(field: "type", reason: .unknownEventType(type)))
        #expect(error.description.contains("call.started"))
    }

    @Test(
        "a bad timestamp is rejected",
        arguments: [
            "yesterday", "", "2026-01-27", "2026-01-27T16:13:00", "2026-01-27 16:13:00Z", "2026-01-27T16:13Z",
            "2026-01-27T16:13:00.Z", "2026-01-27T16:13:00,5Z", "2026-01-27T24:00:00Z", "2026-01-27T16:60:00Z",
            "2026-01-27T16:13:61Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z", "2026-01-00T00:00:00Z", "2026-01-27T16:13:00+0200", "2026-01-27T16:13:00+24:00",
            "2026-01-27T16:13:00+02:60", "26-01-27T16:13:00Z", "+2026-01-27T16:13:00Z", "2026-01-27T16:13:00Zjunk",
            "1769530380", "2026-01-27T16:13:00.000ZZ", "２026-01-27T16:13:00Z",
        ]
    )
    func badTime(text: String) throws {
        let error = try #require(
            decodingError(
                Fixtures.document(replacing: #""time":"2026-01-27T16:13:00.000Z""#, with: #""time":"\#(text)""#)))
        #expect(error == CallEventDecodingError(field: "time", reason: .invalidTimestamp(text)))
        #expect(error.description.contains("RFC 3339"))
    }

    @Test("bad times in data are named too")
    func badDataTime() throws {
        let text = Fixtures.document(replacing: #""endedAt":"2026-01-27T16:13:00.000Z""#, with: #""endedAt":"soon""#)
        #expect(decodingError(text) == CallEventDecodingError(field: "data.endedAt", reason: .invalidTimestamp("soon")))
    }

    @Test(
        "fields of the wrong JSON type are named",
        arguments: [
            (#""id":"13814428-b49f-893c-aa08-64488252fe67""#, #""id":42"#, "id", "a string", "a number"),
            (#""id":"13814428-b49f-893c-aa08-64488252fe67""#, #""id":null"#, "id", "a string", "null"),
            (#""time":"2026-01-27T16:13:00.000Z""#, #""time":1769530380000"#, "time", "a string", "a number"),
            (#""type":"call.ended""#, #""type":["call.ended"]"#, "type", "a string", "an array"),
            (#""subject":"CA5f2c""#, #""subject":{}"#, "subject", "a string", "an object"),
            (#""callId":"CA5f2c""#, #""callId":true"#, "data.callId", "a string", "a boolean"),
            (#""from":"***4321""#, #""from":4321"#, "data.from", "a string", "a number"),
            (
                #""durationSeconds":49"#, #""durationSeconds":"49""#, "data.durationSeconds", "a whole number",
                "a string"
            ),
            (
                #""durationSeconds":49"#, #""durationSeconds":49.5"#, "data.durationSeconds", "a whole number",
                "a number with a fractional part or exponent"
            ),
            (
                #""durationSeconds":49"#, #""durationSeconds":4.9e1"#, "data.durationSeconds", "a whole number",
                "a number with a fractional part or exponent"
            ),
        ]
    )
    func wrongType(target: String, replacement: String, path: String, expected: String, found: String) throws {
        let error = try #require(decodingError(Fixtures.document(replacing: target, with: replacement)))
        #expect(error == CallEventDecodingError(field: path, reason: .wrongType(expected: expected, found: found)))
        #expect(error.description == "field \"\(path)\" has the wrong type: expected \(expected), found \(found)")
    }

    @Test("data that is not an object is named")
    func dataNotObject() throws {
        let text =
            #"{"specversion":"1.0","id":"e","source":"s","type":"call.started","time":"2026-01-27T16:13:00Z","data":"{\"callId\":\"c\"}"}"#
        #expect(
            decodingError(text)
                == CallEventDecodingError(field: "data", reason: .wrongType(expected: "an object", found: "a string")))
    }

    @Test(
        "required text must not be empty",
        arguments: [
            (#""id":"13814428-b49f-893c-aa08-64488252fe67""#, #""id":"""#, "id"),
            (#""source":"callbridge/ingest/twilio""#, #""source":"""#, "source"),
            (#""clientId":"acme""#, #""clientId":"""#, "data.clientId"),
            (#""provider":"twilio""#, #""provider":"""#, "data.provider"),
        ]
    )
    func emptyValues(target: String, replacement: String, path: String) throws {
        #expect(
            decodingError(Fixtures.document(replacing: target, with: replacement))
                == CallEventDecodingError(field: path, reason: .emptyValue))
    }

    @Test("a known field given twice is rejected")
    func duplicates() throws {
        let text = Fixtures.document(
            replacing: #""id":"13814428-b49f-893c-aa08-64488252fe67","#, with: #""id":"a","id":"b","#)
        #expect(decodingError(text) == CallEventDecodingError(field: "id", reason: .duplicateField))
        let inData = Fixtures.document(replacing: #""clientId":"acme""#, with: #""clientId":"acme","clientId":"evil""#)
        #expect(decodingError(inData) == CallEventDecodingError(field: "data.clientId", reason: .duplicateField))
    }

    @Test("every known field given twice is rejected; unknown ones are skipped")
    func duplicatesOfEveryKnownField() throws {
        let data = #""data":{"callId":"CA5f2c","clientId":"acme","provider":"twilio""#
        let twice = Fixtures.document(replacing: data, with: #""data":{},"# + data)
        #expect(decodingError(twice) == CallEventDecodingError(field: "data", reason: .duplicateField))
        let reason = Fixtures.document(
            replacing: #""endReason":"completed""#, with: #""endReason":"completed","endReason":"busy""#)
        #expect(decodingError(reason) == CallEventDecodingError(field: "data.endReason", reason: .duplicateField))
        let unknown = Fixtures.document(
            replacing: #""endReason":"completed""#, with: #""endReason":"completed","x":1,"x":2"#)
        #expect(try CallEvent.decode(unknown.utf8) == Fixtures.fullEvent)
    }

    @Test(
        "a clientId that is not a client id is rejected, its value not repeated",
        arguments: [
            "\u{212A}cme", "cafe\u{301}", "\u{FF41}cme", "\u{202E}emca", "../admin", "acme,globex", "*", "client:acme",
            "a b",
            String(repeating: "x", count: 129),
        ]
    )
    func nonCanonicalClientID(_ clientID: String) throws {
        let text = Fixtures.document(replacing: #""clientId":"acme""#, with: #""clientId":"# + "\"\(clientID)\"")
        let error = try #require(decodingError(text))
        #expect(error.field == "data.clientId")
        #expect(
            error.description
                == #"field "data.clientId" is not a client id: it must be 1–128 characters of A-Z, a-z, 0-9, '.', '_' or '-'"#
        )
    }

    @Test("subject must match data.callId")
    func subjectMismatch() throws {
        let text = Fixtures.document(replacing: #""subject":"CA5f2c""#, with: #""subject":"CA-other""#)
        #expect(decodingError(text) == CallEventDecodingError(field: "subject", reason: .subjectMismatch))
    }

    @Test("datacontenttype other than JSON is rejected")
    func contentType() throws {
        let text = Fixtures.document(
            replacing: #""datacontenttype":"application/json""#, with: #""datacontenttype":"text/plain""#)
        #expect(
            decodingError(text)
                == CallEventDecodingError(field: "datacontenttype", reason: .unsupportedContentType("text/plain")))
    }

    @Test("a duration that does not fit in Int is rejected")
    func integerOverflow() throws {
        let text = Fixtures.document(
            replacing: #""durationSeconds":49"#, with: #""durationSeconds":9223372036854775808"#)
        #expect(
            decodingError(text) == CallEventDecodingError(field: "data.durationSeconds", reason: .integerOutOfRange))
        let minimum = Fixtures.document(
            replacing: #""durationSeconds":49"#, with: #""durationSeconds":-9223372036854775808"#)
        #expect(try CallEvent.decode(minimum.utf8).data.durationSeconds == Int.min)
    }

    @Test("descriptions name the field and the problem in a sentence")
    func descriptions() throws {
        #expect(
            decodingError(#"{"id":}"#)?.description
                == "the event is not valid JSON: unexpected '}', expected a value at byte 6")
        #expect(decodingError("")?.description == "the event is not valid JSON: the input is empty")
        #expect(decodingError("[]")?.description == "the event has the wrong type: expected an object, found an array")
        #expect(
            CallEventDecodingError(field: "specversion", reason: .unsupportedSpecVersion("0.3")).description
                == #"field "specversion" is "0.3", but only CloudEvents "1.0" is supported"#
        )
        #expect(
            CallEventDecodingError(field: "type", reason: .unknownEventType("call.paused")).description
                == #"field "type" is "call.paused", which is not a known call event type (expected "call.started" or "call.ended")"#
        )
        #expect(
            CallEventDecodingError(field: "time", reason: .invalidTimestamp("yesterday")).description
                == #"field "time" is "yesterday", which is not an RFC 3339 timestamp such as "2026-01-27T16:13:00.000Z""#
        )
        #expect(
            CallEventDecodingError(field: "id", reason: .duplicateField).description
                == #"field "id" appears more than once"#)
        #expect(
            CallEventDecodingError(field: "data.clientId", reason: .emptyValue).description
                == #"field "data.clientId" must not be empty"#)
    }

    @Test("long values are shortened in error messages")
    func boundedDescription() throws {
        let long = String(repeating: "x", count: 10_000)
        let error = try #require(
            decodingError(Fixtures.document(replacing: #""type":"call.ended""#, with: #""type":"\#(long)""#)))
        #expect(error.description.count < 300)
    }
}
