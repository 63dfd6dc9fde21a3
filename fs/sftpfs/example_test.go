package sftpfs_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/netvfs/netvfs/fs/sftpfs"
	"github.com/netvfs/netvfs/vfs"
)

// Dial a server as the ssh command would (ssh-agent, ~/.ssh keys and
// known_hosts, ~/.ssh/config) and use the driver: here, list the root.
// Mount it with the core (vfs.New) to get paths, caching and io/fs.
func ExampleDial() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fsys, err := sftpfs.Dial(ctx, "sftp://alice@files.example.com/srv/data", sftpfs.Options{
		AcceptNewHostKey: true, // StrictHostKeyChecking=accept-new
	})
	if err != nil {
		log.Fatal(err) // a *sftpfs.HostKeyError names the host and fingerprint
	}
	defer fsys.Close()
	root, _, err := fsys.Root(ctx)
	if err != nil {
		log.Fatal(err)
	}
	_ = fsys.ReadDir(ctx, root, func(e vfs.DirEntry) bool {
		fmt.Println(e.Name, e.Attr.Size)
		return true
	})
}
