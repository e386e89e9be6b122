"""Coresponder: software for police–public-health co-responder and deflection programs."""
