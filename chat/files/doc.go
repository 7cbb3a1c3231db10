// Package files shares files in chat rooms over plain HTTP: members of a
// room upload a file, which is stored under the data folder and announced
// in the room as a message; members download it.
//
// Downloads can never run script in the chat's origin: only raster images
// keep their type (sniffed from the bytes, never taken from the client),
// everything else is application/octet-stream with Content-Disposition:
// attachment, and every download carries X-Content-Type-Options: nosniff
// and a Content-Security-Policy that allows nothing and sandboxes the
// document.
package files
