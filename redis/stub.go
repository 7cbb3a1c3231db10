package redis

import "context"

type subscription struct{}
type echoQueue struct{}
type publisher struct{}
type presence struct{}

func (p *publisher) init(b *Backplane)        {}
func (p *publisher) loop()                    {}
func (p *presence) init(b *Backplane)         {}
func (p *presence) loop()                     {}
func (p *presence) leave(ctx context.Context) {}
func (b *Backplane) receiveLoop()             {}
