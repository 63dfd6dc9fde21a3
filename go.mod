module github.com/netvfs/netvfs

go 1.26.0

require (
	github.com/anishathalye/porcupine v1.3.1 // indirect
	github.com/hanwen/go-fuse/v2 v2.12.1 // indirect
	github.com/kevinburke/ssh_config v1.6.0 // indirect
	github.com/kr/fs v0.1.0 // indirect
	github.com/pkg/sftp v1.13.12 // indirect
	golang.org/x/crypto v0.59.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)
