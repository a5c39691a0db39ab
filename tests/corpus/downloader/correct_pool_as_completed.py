# corpus: correct
# style: contract
# bug: none
# must_fail: 
# may_fail: 
# Based on the ThreadPoolExecutor example from the concurrent.futures docs.
import concurrent.futures

import requests


def load_url(url, timeout):
    response = requests.get(url, timeout=timeout)
    return response.status_code


def download_pages(urls, max_workers=8, timeout=10.0):
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        # Start the load operations and mark each future with its URL
        future_to_url = {executor.submit(load_url, url, timeout): url for url in urls}
        for future in concurrent.futures.as_completed(future_to_url):
            url = future_to_url[future]
            try:
                status = future.result()
            except Exception as exc:
                results[url] = None
                print('%r error %s' % (url, exc.__class__.__name__))
            else:
                results[url] = status
                print('%r page status is %d' % (url, status))
    return results


if __name__ == '__main__':
    URLS = ['http://www.foxnews.com/',
            'http://www.cnn.com/',
            'http://europe.wsj.com/',
            'http://www.bbc.co.uk/',
            'http://nonexistant-subdomain.python.org/']
    download_pages(URLS, max_workers=5, timeout=60)
