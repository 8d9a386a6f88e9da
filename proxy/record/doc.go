// Package record is the pure record layer of the produce proxy: it cuts a
// request body of concatenated JSON into records (StreamDecoder), parses and
// validates each one (Parse), encodes its key and value for Kafka
// (Record.Encode), and writes the delivery reports (AppendSuccess,
// AppendError). It does no I/O of its own beyond reading the body it is
// given, and keeps no state between records, so the server can call it from
// its read loop without locks.
//
// The flow for one request, and where each per-record failure of
// docs/produce-api.md comes from:
//
//	d := record.NewStreamDecoder(body, maxRecordBytes)
//	for {
//		raw, err := d.Next()      // io.EOF: done; *apierror.Error: fatal, last report; else a read error
//		rec, perr := record.Parse(raw) // per-record 400
//		// rate limits (429), partition check (40402) belong to the server
//		eerr := rec.Encode(nil)      // per-record 400 / 422
//		// produce, then record.AppendSuccess or record.AppendError, in input order
//	}
//
// Messages are part of the wire contract (docs/produce-api.md): tests pin
// them byte for byte.
package record
